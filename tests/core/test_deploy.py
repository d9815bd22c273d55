"""Production settings: `dangjian check --deploy` reports nothing; demo accounts stop a production start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dangjian.core.guards import refuse_demo_accounts_in_production
from dangjian.core.models import User

DANGJIAN = shutil.which("dangjian", path=str(Path(sys.executable).parent)) or "dangjian"


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a production machine sets (docs/deploy.md), plus the test run's servers if it has any."""
    env = {
        "PATH": os.environ["PATH"],
        "DANGJIAN_ENV": "production",
        "DANGJIAN_DATA_DIR": str(tmp_path),
        "DANGJIAN_ALLOWED_HOSTS": "dangjian.example.org",
        "SECRET_KEY": "k7Pq2vXr9LmN4sT8wZc1Yb6Hd3Fg5Jj0Aa_Qe-Ru2Ti7Oo9Pp4Ss6Uu8Vv1Ww3Xx5",
        **{k: os.environ[k] for k in ("DATABASE_URL", "REDIS_URL") if k in os.environ},
    }
    return {**env, **extra}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DANGJIAN, "check", "--deploy", "--fail-level", "DEBUG"], env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_reports_nothing_with_the_secret_key_in_a_file_behind_a_redirecting_proxy(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0Ff9Dd8Ss7Aa6Qq5Ww4Ee3Rr2Tt1Yy0Uu9Ii8Oo7Pp\n")
    env = production_env(tmp_path, SECRET_KEY_FILE=str(key_file), DANGJIAN_SSL_REDIRECT="0")
    del env["SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    # The one silenced check is security.W008 (SECURE_SSL_REDIRECT), which the proxy in front does instead.
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = check_deploy(env)
    assert result.returncode != 0
    assert "production needs SECRET_KEY or SECRET_KEY_FILE" in result.stderr


@pytest.mark.django_db
def test_demo_accounts_are_a_deploy_error_and_stop_a_production_start():
    User.objects.create_user(username="demo-leader", password="demo-password-123", is_demo=True)
    with override_settings(PRODUCTION=True):
        assert "dangjian.E001" in {m.id for m in run_checks(tags=["security"], databases=["default"])}
        with pytest.raises(ImproperlyConfigured, match="demo accounts exist"):
            refuse_demo_accounts_in_production()
    User.objects.filter(is_demo=True).update(is_demo=False)
    with override_settings(PRODUCTION=True):
        assert "dangjian.E001" not in {m.id for m in run_checks(tags=["security"], databases=["default"])}
        refuse_demo_accounts_in_production()


@pytest.mark.parametrize(
    ("extra", "sender"),
    [
        ({}, ""),  # the console gateway: notifications are logged
        ({"DANGJIAN_SMS_BACKEND": "smpp"}, "dangjian.services.sms.outbox.send_notification"),
        ({"DANGJIAN_SMS_BACKEND": "smpp", "DANGJIAN_SMS_SENDER": ""}, ""),  # an operator may turn it off
    ],
)
def test_sms_notifications_go_through_the_sms_platform_when_a_real_gateway_is_set(tmp_path, extra, sender):
    env = production_env(tmp_path, **extra)
    code = "from django.conf import settings; print(repr(settings.DANGJIAN_SMS_SENDER))"
    result = subprocess.run([DANGJIAN, "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(sender)
