"""Shared fixtures: units and users built through the real actions, servers that skip (or fail in CI)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.utils import translation

from dangjian.core import actions, calendar
from dangjian.core.models import RoleKind, UnitKind, User

# The browser fixtures serve every app's tests; one Playwright for the whole session.
pytest_plugins = ["tests.browser.fixtures"]

IN_CI = os.environ.get("CI") == "true"


def need(condition: bool, reason: str) -> None:
    """Skip with the reason on a developer's machine; fail in CI, where every server and browser must be there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture(autouse=True)
def _fresh_role_holders():
    """Who holds a role is remembered in the process for a second; a test's rolled-back units and roles must not
    be told of the next test's letters."""
    from dangjian.core.permissions import forget_holders

    forget_holders()
    yield
    forget_holders()


@pytest.fixture(autouse=True)
def _no_hit_counts_carried_between_tests():
    """Hits are buffered in the process: one test's counts must not be written into the next test's pages (or,
    at exit, into a test database that is gone)."""
    from dangjian.publicity import hits

    hits.discard()
    yield
    hits.discard()


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request through the test client leaves its language active in the thread (LocaleMiddleware activates it and
    nothing deactivates it); every test starts from the default language, whichever test ran before."""
    yield
    translation.deactivate()


@pytest.fixture
def tree(db):
    """A small tree: county → two townships (each with a village and a station) and a department."""
    county = actions.create_unit(actor=None, code="360733", name="会昌县", kind=UnitKind.COUNTY, parent=None)
    t1 = actions.create_unit(actor=None, code="T1", name="文武坝镇", kind=UnitKind.TOWNSHIP, parent=county)
    t2 = actions.create_unit(actor=None, code="T2", name="筠门岭镇", kind=UnitKind.TOWNSHIP, parent=county)
    v1 = actions.create_unit(actor=None, code="V1", name="上坑村", kind=UnitKind.VILLAGE, parent=t1)
    v2 = actions.create_unit(actor=None, code="V2", name="下塘村", kind=UnitKind.VILLAGE, parent=t2)
    s1 = actions.create_unit(actor=None, code="S1", name="上坑站", kind=UnitKind.STATION, parent=v1)
    s2 = actions.create_unit(actor=None, code="S2", name="下塘站", kind=UnitKind.STATION, parent=v2)
    d1 = actions.create_unit(actor=None, code="D1", name="县委组织部", kind=UnitKind.DEPARTMENT, parent=county)
    return {"county": county, "t1": t1, "t2": t2, "v1": v1, "v2": v2, "s1": s1, "s2": s2, "d1": d1}


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: tuple[str, object], password: str = "correct-horse-battery") -> User:
        user = User.objects.create_user(username=username, password=password)
        for kind, unit in roles:
            actions.assign_role(actor=None, user=user, unit=unit, kind=kind)
        return user

    return make


ROLE_KINDS = list(RoleKind.values)


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return [f"dangjian: database={db} tasks={settings.TASKS['default']['BACKEND']} ci={IN_CI}"]


@pytest.fixture
def verified_admin(client, db):
    """A superuser logged in with a verified second factor, as django_otp's OTPMiddleware reads it from the session."""
    from tests.core.otp import login_verified

    user = User.objects.create_superuser("root", email="root@example.com", password="correct-horse-battery")
    login_verified(client, user)
    return client
