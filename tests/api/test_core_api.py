"""GET /api/v1/core/units: the API door shows the units of the caller's roles, through the same permission layer."""

from __future__ import annotations

import pytest

from dangjian.core.models import RoleKind, Unit, UnitKind
from tests.conftest import ROLE_KINDS
from tests.core.otp import MODEL_BACKEND, login_verified

URL = "/api/v1/core/units"
ALL_CODES = {"360733", "T1", "T2", "V1", "V2", "S1", "S2", "D1"}
T1_SUBTREE = {"T1", "V1", "S1"}


def api_codes(client, **params) -> set[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return {u["code"] for u in body["items"]}


def log_in(client, user) -> None:
    """Members log in with a password only; every other role with the second factor verified."""
    if user.needs_otp:
        login_verified(client, user)
    else:
        client.force_login(user, backend=MODEL_BACKEND)


@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_a_role_at_a_township_gets_its_subtree_and_nothing_else(tree, make_user, client, kind):
    log_in(client, make_user("u", (kind, tree["t1"])))
    assert api_codes(client) == T1_SUBTREE
    assert api_codes(client, kind=UnitKind.STATION) == {"S1"}


def test_two_roles_get_the_union(tree, make_user, client):
    log_in(client, make_user("u", (RoleKind.RESPONDER, tree["t1"]), (RoleKind.EDITOR, tree["d1"])))
    assert api_codes(client) == T1_SUBTREE | {"D1"}


def test_a_superuser_gets_everything(tree, make_user, client):
    user = make_user("root")
    user.is_superuser = True
    user.save()
    log_in(client, user)
    assert api_codes(client) == ALL_CODES


def test_anonymous_gets_401(tree, client):
    assert client.get(URL).status_code == 401


def test_a_user_without_roles_gets_nothing(tree, make_user, client):
    log_in(client, make_user("nobody"))
    assert api_codes(client) == set()


def test_a_role_at_an_inactive_unit_gets_nothing(tree, make_user, client):
    Unit.objects.filter(pk=tree["t1"].pk).update(is_active=False)
    log_in(client, make_user("u", (RoleKind.MEMBER, tree["t1"]), (RoleKind.MEMBER, tree["v2"])))
    assert api_codes(client) == {"V2", "S2"}


def test_staff_after_the_password_step_alone_gets_401(tree, make_user, client):
    client.force_login(make_user("u", (RoleKind.ORG_ADMIN, tree["county"])), backend=MODEL_BACKEND)
    response = client.get(URL)
    assert response.status_code == 401
    assert "code" not in response.content.decode()


def test_the_unit_list_is_paginated_and_takes_a_fixed_number_of_queries(
    tree, make_user, client, django_assert_max_num_queries
):
    from dangjian.core import actions

    for i in range(30):
        actions.create_unit(actor=None, code=f"X{i}", name=f"村{i}", kind=UnitKind.VILLAGE, parent=tree["t1"])
    log_in(client, make_user("u", (RoleKind.ORG_ADMIN, tree["t1"])))
    with django_assert_max_num_queries(10):
        body = client.get(URL, {"limit": 10}).json()
    assert body["count"] == 33 and len(body["items"]) == 10
    parent_codes = {u["parent_code"] for u in body["items"]}
    assert parent_codes <= {"360733", "T1", "V1"}
