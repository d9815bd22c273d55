"""Logging in: django-axes lockout, TOTP for staff on /work/ /cms/ /admin/, one-time recovery codes, idle timeout."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from dangjian.core.models import RoleKind
from tests.core.otp import MODEL_BACKEND, code_for, login_verified

PASSWORD = "correct-horse-battery"
PROTECTED = ["/work/", "/cms/", "/admin/"]
THROTTLE = 1.2  # seconds: a little over django-otp's first throttling delay


def log_in(client, username: str, password: str = PASSWORD, next_url: str = "/work/"):
    return client.post(f"/accounts/login/?next={next_url}", {"username": username, "password": password})


@pytest.fixture
def staff(tree, make_user):
    user = make_user("staff", (RoleKind.ORG_ADMIN, tree["county"]))
    user.is_staff = user.is_superuser = True  # may open all three doors once verified
    user.save()
    return user


# --- lockout -------------------------------------------------------------------------------------------------


def test_the_account_is_locked_after_the_configured_number_of_failures(client, staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "staff", "wrong-password")
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert log_in(client, "staff", "wrong-password").status_code == 429
    response = log_in(client, "staff", PASSWORD)
    assert response.status_code == 429, "the right password is refused while locked"
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_do_not_lock_and_a_success_resets_the_count(client, staff):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "staff", "wrong-password")
    assert log_in(client, "staff", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "staff", "wrong-password")
    assert log_in(client, "staff", PASSWORD).status_code == 302


def test_a_lockout_of_one_account_does_not_lock_another(client, staff, make_user):
    make_user("member")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "staff", "wrong-password")
    assert log_in(client, "member", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off_time(client, staff):
    with freeze_time(timezone.now()) as clock:
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, "staff", "wrong-password")
        assert log_in(client, "staff", PASSWORD).status_code == 429
        clock.tick(timedelta(hours=settings.AXES_COOLOFF_TIME, seconds=1))
        assert log_in(client, "staff", PASSWORD).status_code == 302


# --- the second factor ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PROTECTED)
def test_staff_after_the_password_alone_are_sent_to_the_second_step_on_every_staff_door(client, staff, url):
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(staff, backend=MODEL_BACKEND)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/?next=")


@pytest.mark.parametrize("url", PROTECTED)
def test_staff_without_a_device_are_sent_to_enrol_one(client, staff, url):
    client.force_login(staff, backend=MODEL_BACKEND)
    assert client.get(url)["Location"].startswith("/accounts/otp/setup/?next=")


@pytest.mark.parametrize("url", PROTECTED)
def test_anonymous_visitors_are_sent_to_log_in(client, db, url):
    assert client.get(url)["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PROTECTED)
def test_staff_with_the_second_factor_verified_get_in(client, staff, url):
    login_verified(client, staff)
    assert client.get(url, follow=True).status_code == 200
    assert client.get(url).status_code in (200, 302)
    assert not client.get(url).get("Location", "").startswith("/accounts/")


@pytest.mark.parametrize("kind", [k for k in RoleKind.values if k != RoleKind.MEMBER])
def test_every_staff_role_needs_the_second_factor(client, tree, make_user, kind):
    user = make_user("u", (kind, tree["t1"]))
    client.force_login(user, backend=MODEL_BACKEND)
    assert client.get("/work/")["Location"].startswith("/accounts/otp/setup/")


def test_a_member_gets_to_the_workbench_with_the_password_alone(client, tree, make_user):
    make_user("member", (RoleKind.MEMBER, tree["v1"]))
    assert log_in(client, "member")["Location"] == "/work/"
    assert client.get("/work/").status_code == 200


def test_the_two_step_login_with_a_totp_code(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = log_in(client, "staff")
    assert response["Location"].startswith("/accounts/otp/?next=")
    response = client.post(response["Location"], {"token": "000000" if code_for(device) != "000000" else "111111"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/work/")["Location"].startswith("/accounts/otp/")
    # django-otp throttles a device after a failure (1 s, doubling with each further failure): even the right code
    # is refused until then, which makes guessing six digits hopeless.
    assert client.post("/accounts/otp/?next=/work/", {"token": code_for(device)}).status_code == 200
    time.sleep(THROTTLE)
    response = client.post("/accounts/otp/?next=/work/", {"token": code_for(device)})
    assert response["Location"] == "/work/"
    assert client.get("/work/").status_code == 200


# --- recovery codes --------------------------------------------------------------------------------------


def enrol(client, user) -> list[str]:
    """Enrol a TOTP device through the setup page; returns the recovery codes it shows once."""
    log_in(client, user.username)
    client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/otp/setup/?next=/work/", {"token": code_for(device)})
    assert response.status_code == 200
    return response.context["codes"]


def test_enrolment_hands_out_ten_recovery_codes_and_each_works_once(client, staff):
    codes = enrol(client, staff)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert StaticToken.objects.filter(device__user=staff).count() == 10
    assert client.get("/work/").status_code == 200, "enrolment verifies the session"

    client.post("/accounts/logout/")
    log_in(client, "staff")
    assert client.post("/accounts/otp/?next=/work/", {"token": codes[0]})["Location"] == "/work/"
    assert StaticToken.objects.filter(device__user=staff).count() == 9

    client.post("/accounts/logout/")
    log_in(client, "staff")
    response = client.post("/accounts/otp/?next=/work/", {"token": codes[0]})
    assert response.status_code == 200 and response.context["form"].errors, "a used recovery code is refused"
    assert client.get("/work/")["Location"].startswith("/accounts/otp/")
    time.sleep(THROTTLE)  # the failure throttles the devices for a second
    assert client.post("/accounts/otp/?next=/work/", {"token": codes[1]})["Location"] == "/work/"


# --- idle timeout ---------------------------------------------------------------------------------------


def test_a_session_expires_after_the_idle_time_but_not_while_in_use(client, staff):
    idle = settings.SESSION_COOKIE_AGE
    with freeze_time(timezone.now()) as clock:
        login_verified(client, staff)
        for _step in range(3):  # active for 1.5 × the idle time, a request every half of it
            clock.tick(timedelta(seconds=idle // 2))
            assert client.get("/work/").status_code == 200
        clock.tick(timedelta(seconds=idle + 1))
        response = client.get("/work/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_session_in_use_is_saved_once_a_minute_not_on_every_request(client, staff):
    """The idle clock moves on without a write for each page: within a minute of its last save a session that did
    not change is not written; after it, the next request saves it (and its expiry moves)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.core.middleware import SESSION_TOUCH_SECONDS

    def session_writes():
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/work/").status_code == 200
        return [q["sql"] for q in seen.captured_queries if "django_session" in q["sql"]
                and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]  # fmt: skip

    with freeze_time(timezone.now()) as clock:
        login_verified(client, staff)
        client.get("/work/")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        expiry = Session.objects.get(session_key=key).expire_date
        clock.tick(timedelta(seconds=5))
        assert session_writes() == []
        clock.tick(timedelta(seconds=SESSION_TOUCH_SECONDS - 10))
        assert session_writes() == []
        assert Session.objects.get(session_key=key).expire_date == expiry
        clock.tick(timedelta(seconds=10))
        assert len(session_writes()) == 1
        assert Session.objects.get(session_key=key).expire_date > expiry


def test_a_visitor_without_a_session_is_given_none(client, db):
    from django.contrib.sessions.models import Session

    response = client.get("/supervision/")
    assert response.status_code == 200 and settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Session.objects.exists()
