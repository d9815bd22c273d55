"""Every staff URL without parameters × anonymous / member-only / staff of a unit: the expected answer for each.

The list of URLs is read from the URL configuration, so a page an app adds is covered the day it lands. Pages
with an object in their address are covered by each app's own scope tests (own unit / other unit).
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from dangjian.core.models import RoleKind
from tests.core.otp import login_verified

pytestmark = pytest.mark.django_db
OPEN_TO_EVERY_ACCOUNT = {"/work/", "/work/inbox/"}  # the dashboard and the personal inbox


def _routes(patterns, prefix: str = "") -> list[str]:
    found = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            found += _routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and "<" not in route and not re.search(r"[\^\$\(\[\\?*+]", route):
            found.append("/" + route)
    return found


def staff_urls() -> list[str]:
    return sorted({r for r in _routes(get_resolver().url_patterns) if r.startswith("/work/")})


def test_the_matrix_has_the_workbench_pages():
    assert "/work/" in staff_urls() and len(staff_urls()) >= 5


@pytest.mark.parametrize("url", staff_urls())
def test_anonymous_visitors_are_sent_to_the_login(client, url):
    for response in (client.get(url), client.post(url, {"x": "1"})):
        assert response.status_code == 302, f"{url}: {response.status_code}"
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", staff_urls())
def test_a_plain_member_cannot_open_staff_pages(client, tree, make_user, url):
    client.force_login(make_user("member", (RoleKind.MEMBER, tree["v1"])))
    response = client.get(url)
    if url in OPEN_TO_EVERY_ACCOUNT:
        assert response.status_code == 200
        return
    if response.status_code == 405:  # a form's target that takes POST only: the POST must be refused too
        response = client.post(url, {"x": "1"})
    assert response.status_code in (403, 404), f"{url} answered {response.status_code} to a plain member"


@pytest.mark.parametrize("url", staff_urls())
def test_staff_without_the_second_factor_are_sent_to_verify(client, tree, make_user, url):
    client.force_login(make_user("head", (RoleKind.UNIT_HEAD, tree["t1"])))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/"), url


@pytest.mark.parametrize("kind", [k for k in RoleKind.values if k != RoleKind.MEMBER])
def test_verified_staff_get_an_answer_and_never_a_server_error(client, tree, make_user, kind):
    login_verified(client, make_user(f"staff-{kind}", (kind, tree["t1"])))
    for url in staff_urls():
        response = client.get(url)
        # 400: a download asked for without its unit and period says so; 405: a POST-only form target.
        assert response.status_code in (200, 302, 400, 403, 404, 405), f"{kind} on {url}: {response.status_code}"
        if response.status_code == 400:
            assert response.content.strip(), f"{url} refused the request without saying why"
