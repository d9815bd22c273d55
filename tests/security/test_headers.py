"""Response headers on every kind of page: CSP without 'unsafe-inline' outside the admins, frame denial,
no MIME sniffing, a referrer policy; HSTS and secure cookies with production settings; nothing from a CDN."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.core.otp import login_verified

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/m/supervision/", "/data/", "/accounts/login/", "/education/", "/api/v1/docs"]


def directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_allow_no_inline_script_or_style(client, tree, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    for name in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy.get(name, []), f"{url}: {name} {policy.get(name)}"
        assert "'unsafe-eval'" not in policy.get(name, []), f"{url}: {name} {policy.get(name)}"
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] in {"DENY", "SAMEORIGIN"}
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_load_nothing_from_another_site(client, tree, url):
    html = client.get(url).content.decode()
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', html)
    assert [u for u in external if "127.0.0.1" not in u and "localhost" not in u] == []


def test_only_the_admins_allow_inline_script(client, django_user_model):
    login_verified(client, django_user_model.objects.create_superuser("root", password="correct-horse-battery"))
    for url in ("/admin/", "/cms/"):
        page = client.get(url)
        assert page.status_code == 200
        assert "'unsafe-inline'" in directives(page["Content-Security-Policy"])["script-src"]
    assert "'unsafe-inline'" not in directives(client.get("/work/")["Content-Security-Policy"])["script-src"]


PRODUCTION_ENV = {
    "DANGJIAN_ENV": "production",
    "SECRET_KEY": "x" * 64,
    "DANGJIAN_ALLOWED_HOSTS": "dangjian.example.org",
}


def test_production_settings_turn_on_hsts_and_secure_cookies(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG)"
    )
    env = {"PATH": "/usr/bin:/bin", "DANGJIAN_DATA_DIR": str(tmp_path), **PRODUCTION_ENV}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dangjian.config.settings';"
            f"django.setup(); {code}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hsts, redirect, session_secure, csrf_secure, debug = out
    assert int(hsts) >= 365 * 24 * 3600 and redirect == session_secure == csrf_secure == "True" and debug == "False"
