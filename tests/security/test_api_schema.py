"""schemathesis against the OpenAPI schema at /api/v1/openapi.json, in-process through the WSGI application.

Every operation is called with generated parameters, anonymously and as a TOTP-verified staff user: no answer
is a server error, and every answer matches what the schema declares (status codes, content type, body).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from dangjian.config.wsgi import application
from dangjian.core.models import RoleKind
from tests.supervision.conftest import channels as channels  # the letters' channels, for the public operations

SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much]


@pytest.fixture
def staff_cookie(tree, make_user) -> dict[str, str]:
    user = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]))
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = SessionStore()
    session.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
            DEVICE_ID_SESSION_KEY: device.persistent_id,
        }
    )
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


# The schema is read through the application itself (no server, no database needed to serve it).
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def test_the_schema_lists_the_operations():
    labels = [op.label for op in OPERATIONS]
    assert {"GET /api/v1/core/units", "POST /api/v1/letters", "POST /api/v1/letters/lookup"} <= set(labels)


#: The operations open to everyone (the letters' public contract); every other one needs a verified login.
PUBLIC = {"POST /api/v1/letters", "POST /api/v1/letters/lookup"}


def test_only_the_public_contract_is_open_without_a_login():
    assert {op.label for op in OPERATIONS if not op.definition.raw.get("security")} == PUBLIC


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
@pytest.mark.usefixtures("channels")
def test_anonymous_calls_never_fail_and_match_the_schema(operation):
    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=SLOW)
    def check(case):
        # A schema-valid letter may still be refused by a rule the schema cannot state (an unknown channel, a
        # duplicate, a missing contact): 400 with the field's message is the contract, so that one check is off.
        excluded = [positive_data_acceptance] if operation.label in PUBLIC else []
        response = case.call_and_validate(excluded_checks=excluded)
        if operation.label in PUBLIC:
            assert response.status_code < 500
        else:
            assert response.status_code in (401, 403), "an anonymous visitor reached a staff endpoint"

    check()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_staff_calls_never_fail_and_match_the_schema(operation, staff_cookie):
    @given(case=operation.as_strategy())
    @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=SLOW)
    def check(case):
        excluded = [positive_data_acceptance] if operation.label in PUBLIC else []
        response = case.call_and_validate(cookies=staff_cookie, excluded_checks=excluded)
        assert response.status_code != 401, "the verified staff session was not accepted"
        assert response.status_code < 500

    check()
