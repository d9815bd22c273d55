"""The staff dashboard: every app's panel provider runs for every role kind, and the page answers 200."""

from __future__ import annotations

import logging

import pytest

from dangjian.core.models import RoleKind
from dangjian.core.permissions import scope_for
from dangjian.portal import workbench
from tests.core.otp import login_verified

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", RoleKind.values)
def test_every_provider_answers_for_every_role_kind(tree, make_user, kind):
    user = make_user(f"u-{kind}", (kind, tree["t1"]))
    assert workbench.providers(), "no app registers a workbench panel"
    for provider in workbench.providers():
        panels = provider(user, scope_for(user))
        assert all(isinstance(p, workbench.Panel) for p in panels or [])


def test_every_provider_answers_for_a_superuser(tree, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="correct-horse-battery")
    for provider in workbench.providers():
        provider(admin, scope_for(admin))


@pytest.mark.parametrize("kind", [RoleKind.UNIT_HEAD, RoleKind.EDITOR, RoleKind.STATION_MANAGER])
def test_the_workbench_page_shows_the_roles(client, tree, make_user, kind):
    user = make_user("staff", (kind, tree["t1"]))
    login_verified(client, user)
    response = client.get("/work/")
    assert response.status_code == 200
    assert "文武坝镇" in response.content.decode()


def test_a_failing_provider_is_logged_and_the_rest_still_shows(client, tree, make_user, caplog):
    def broken(user, scope):
        raise RuntimeError("boom")

    def fine(user, scope):
        return [workbench.Panel("Panel that works", [workbench.WorkItem("Item", 3)])]

    workbench.register(broken)
    workbench.register(fine)
    try:
        login_verified(client, make_user("staff", (RoleKind.UNIT_HEAD, tree["t1"])))
        with caplog.at_level(logging.ERROR, logger="dangjian.portal.workbench"):
            response = client.get("/work/")
    finally:
        workbench._providers.remove(broken)
        workbench._providers.remove(fine)
    assert response.status_code == 200 and "Panel that works" in response.content.decode()
    assert any("broken" in r.getMessage() for r in caplog.records)
