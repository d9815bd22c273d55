"""The one permission layer: through the query layer and the Django admin, a user sees only the units of their roles.

Every test compares what a door shows with an oracle computed in Python from the units' paths, independently of
the layer under test. The API door is tested in tests/api/test_core_api.py.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from dangjian.core import outbox
from dangjian.core.models import AuditRecord, Channel, Notification, Role, RoleKind, Unit, UnitKind
from dangjian.core.permissions import scope_for
from tests.conftest import ROLE_KINDS
from tests.core.otp import login_verified

ALL_CODES = {"360733", "T1", "T2", "V1", "V2", "S1", "S2", "D1"}
T1_SUBTREE = {"T1", "V1", "S1"}
OUTSIDE_NAMES = ["筠门岭镇", "下塘村", "下塘站", "县委组织部"]  # T2's subtree and the department D1
ADMIN_MODELS = {"unit": Unit, "role": Role, "auditrecord": AuditRecord, "notification": Notification}


@pytest.fixture
def world(tree, make_user):
    """The tree, with roles and notifications on every unit: inside T1's subtree and outside it."""
    other = make_user(
        "other",
        (RoleKind.RESPONDER, tree["v1"]),
        (RoleKind.EDITOR, tree["t2"]),
        (RoleKind.ORG_ADMIN, tree["county"]),
        (RoleKind.UNIT_HEAD, tree["d1"]),
        (RoleKind.STATION_MANAGER, tree["s2"]),
    )
    for key, unit in tree.items():
        outbox.queue_notification(channel=Channel.INBOX, body=f"to {key}", recipient=other, unit=unit)
    return tree


def unit_of(obj) -> Unit | None:
    return obj if isinstance(obj, Unit) else obj.unit


def inside(model, *units: Unit) -> set[int]:
    """The oracle: primary keys of the rows whose unit lies under one of the units, by plain string prefix."""
    rows = model.objects.all() if model is Unit else model.objects.select_related("unit")
    return {
        r.pk
        for r in rows
        if unit_of(r) is not None and any(unit_of(r).path.startswith(u.path) and u.is_active for u in units)
    }


def seen(user, model) -> set[int]:
    """What the query layer gives the user for a model."""
    if model is Unit:
        return set(Unit.objects.for_user(user).values_list("pk", flat=True))
    return set(scope_for(user).filter(model.objects.all()).values_list("pk", flat=True))


def codes(qs) -> set[str]:
    return set(qs.values_list("code", flat=True))


# --- the query layer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_a_role_at_a_township_sees_its_subtree_and_nothing_else_in_every_query(world, make_user, kind):
    user = make_user("u", (kind, world["t1"]))
    assert codes(Unit.objects.for_user(user)) == T1_SUBTREE
    for model in ADMIN_MODELS.values():
        expected = inside(model, world["t1"])
        assert expected, f"the fixture must put {model.__name__} rows inside T1"
        assert seen(user, model) == expected
        assert not seen(user, model) & inside(model, world["t2"], world["d1"])
    scope = scope_for(user)
    assert scope.covers(world["s1"]) and not scope.covers(world["v2"]) and not scope.covers(world["county"])
    assert scope.has_kind(kind) and not scope.has_kind(*(k for k in ROLE_KINDS if k != kind))


def test_two_roles_see_the_union_of_their_subtrees(world, make_user):
    user = make_user("u", (RoleKind.RESPONDER, world["t1"]), (RoleKind.EDITOR, world["d1"]))
    assert codes(Unit.objects.for_user(user)) == T1_SUBTREE | {"D1"}
    for model in ADMIN_MODELS.values():
        assert seen(user, model) == inside(model, world["t1"], world["d1"])


def test_asking_for_one_role_kind_narrows_the_scope_to_that_roles_units(world, make_user):
    user = make_user("u", (RoleKind.RESPONDER, world["t1"]), (RoleKind.EDITOR, world["t2"]))
    assert codes(Unit.objects.for_user(user)) == T1_SUBTREE | {"T2", "V2", "S2"}
    assert codes(scope_for(user).filter(Unit.objects.all(), kinds=[RoleKind.EDITOR])) == {"T2", "V2", "S2"}
    assert scope_for(user).covers(world["v1"], kinds=[RoleKind.RESPONDER])
    assert not scope_for(user).covers(world["v1"], kinds=[RoleKind.EDITOR])


def test_a_superuser_sees_everything(world, make_user):
    user = make_user("root")
    user.is_superuser = True
    user.save()
    assert codes(Unit.objects.for_user(user)) == ALL_CODES
    for model in ADMIN_MODELS.values():
        assert seen(user, model) == set(model.objects.values_list("pk", flat=True))


def test_anonymous_role_less_and_inactive_users_see_nothing(world, make_user):
    roleless = make_user("nobody")
    inactive = make_user("gone", (RoleKind.ORG_ADMIN, world["county"]))
    inactive.is_active = False
    inactive.save()
    for user in [AnonymousUser(), None, roleless, inactive]:
        for model in ADMIN_MODELS.values():
            assert seen(user, model) == set(), (user, model)


def test_a_role_at_an_inactive_unit_gives_nothing(world, make_user):
    Unit.objects.filter(pk=world["t1"].pk).update(is_active=False)
    user = make_user("u", (RoleKind.RESPONDER, world["t1"]), (RoleKind.EDITOR, world["d1"]))
    assert codes(Unit.objects.for_user(user)) == {"D1"}
    for model in ADMIN_MODELS.values():
        assert seen(user, model) == inside(model, world["d1"])


def test_the_scope_is_one_query_per_user(world, make_user, django_assert_num_queries):
    user = make_user("u", (RoleKind.RESPONDER, world["t1"]), (RoleKind.EDITOR, world["d1"]))
    with django_assert_num_queries(1):
        scope_for(user)
        scope_for(user)


def test_the_subtree_condition_does_not_leak_into_a_sibling_with_a_longer_number(tree, make_user):
    # Ten more townships: T1 is child 000001, the new ones 000004..000013; none may fall under T1's prefix.
    from dangjian.core import actions

    for i in range(10):
        actions.create_unit(actor=None, code=f"X{i}", name=f"乡{i}", kind=UnitKind.TOWNSHIP, parent=tree["county"])
    user = make_user("u", (RoleKind.RESPONDER, tree["t1"]))
    assert codes(Unit.objects.for_user(user)) == T1_SUBTREE


# --- the Django admin --------------------------------------------------------------------------------------


def staff_user(make_user, *roles, actions=("view",)):
    """A staff user with the Django model permissions for the core's scoped models (what an administrator grants)."""
    user = make_user("staff", *roles)
    user.is_staff = True
    user.save()
    names = [f"{a}_{m}" for a in actions for m in [*ADMIN_MODELS, "user"]]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="core", codename__in=names))
    return user


@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_admin_lists_and_opens_only_the_objects_of_the_users_units(world, make_user, client, kind):
    user = staff_user(make_user, (kind, world["t1"]))
    login_verified(client, user)
    for name, model in ADMIN_MODELS.items():
        response = client.get(f"/admin/core/{name}/")
        assert response.status_code == 200, name
        expected = inside(model, world["t1"])
        assert {obj.pk for obj in response.context["cl"].result_list} == expected, name
        assert response.context["cl"].result_count == len(expected)
        html = response.content.decode()
        for outside_name in OUTSIDE_NAMES:
            assert outside_name not in html, (name, outside_name)
        some_inside = min(expected)
        assert client.get(f"/admin/core/{name}/{some_inside}/change/").status_code == 200
        for pk in set(model.objects.values_list("pk", flat=True)) - expected:
            response = client.get(f"/admin/core/{name}/{pk}/change/")
            assert response.status_code in (302, 404), (name, pk)
            assert response.status_code == 404 or response["Location"] == "/admin/"
            assert client.get(f"/admin/core/{name}/{pk}/history/").status_code in (302, 404)


def test_admin_search_finds_nothing_outside_the_users_units(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]))
    login_verified(client, user)
    response = client.get("/admin/core/unit/", {"q": "筠门岭"})
    assert list(response.context["cl"].result_list) == []
    response = client.get("/admin/core/unit/", {"q": "上坑"})
    assert {u.code for u in response.context["cl"].result_list} == {"V1", "S1"}


@pytest.mark.parametrize("name", list(ADMIN_MODELS))
def test_admin_changelists_take_a_fixed_number_of_queries(
    world, make_user, client, name, django_assert_max_num_queries
):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["county"]))
    login_verified(client, user)
    with django_assert_max_num_queries(16):
        assert client.get(f"/admin/core/{name}/").status_code == 200


@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_admin_foreign_key_choices_offer_only_the_users_units(world, make_user, client, kind):
    user = staff_user(make_user, (kind, world["t1"]), actions=("view", "add", "change"))
    login_verified(client, user)
    role_form = client.get("/admin/core/role/add/").context["adminform"].form
    assert codes(role_form.fields["unit"].queryset) == T1_SUBTREE
    unit_form = client.get("/admin/core/unit/add/").context["adminform"].form
    assert codes(unit_form.fields["parent"].queryset) == T1_SUBTREE


def test_admin_refuses_a_role_at_a_unit_outside_the_users_units(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]), actions=("view", "add", "change"))
    login_verified(client, user)
    target = make_user("target")
    response = client.post(
        "/admin/core/role/add/", {"user": target.pk, "unit": world["v2"].pk, "kind": RoleKind.RESPONDER}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["unit"]
    assert not Role.objects.filter(user=target).exists()


def test_a_role_added_in_the_admin_is_assigned_through_the_action_with_an_audit_record(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]), actions=("view", "add", "change", "delete"))
    login_verified(client, user)
    target = make_user("target")
    response = client.post(
        "/admin/core/role/add/", {"user": target.pk, "unit": world["v1"].pk, "kind": RoleKind.RESPONDER}
    )
    assert response.status_code == 302
    role = Role.objects.get(user=target)
    record = AuditRecord.objects.get(verb="role.assign", object_id=str(role.pk))
    assert record.actor == user and record.unit == world["v1"]
    response = client.post(f"/admin/core/role/{role.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Role.objects.filter(user=target).exists()
    assert AuditRecord.objects.filter(verb="role.revoke", object_id=str(role.pk), actor=user).exists()


def test_a_unit_added_in_the_admin_takes_its_place_in_the_tree(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]), actions=("view", "add", "change"))
    login_verified(client, user)
    form = {"code": "V3", "name": "新村", "kind": UnitKind.VILLAGE, "parent": world["t1"].pk, "is_active": "on"}
    assert client.post("/admin/core/unit/add/", form).status_code == 302
    v3 = Unit.objects.get(code="V3")
    assert v3.is_within(world["t1"]) and v3.depth == 3
    assert AuditRecord.objects.filter(verb="unit.create", object_id=str(v3.pk), actor=user).exists()
    assert codes(Unit.objects.for_user(make_user("u", (RoleKind.RESPONDER, world["t1"])))) == T1_SUBTREE | {"V3"}


def test_admin_refuses_a_unit_outside_the_users_units_or_against_the_tree_rules(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]), actions=("view", "add", "change"))
    login_verified(client, user)
    before = Unit.objects.count()
    for parent, kind in [(world["t2"].pk, UnitKind.VILLAGE), ("", UnitKind.COUNTY), (world["s1"].pk, UnitKind.VILLAGE)]:
        form = {"code": "X1", "name": "错", "kind": kind, "parent": parent, "is_active": "on"}
        response = client.post("/admin/core/unit/add/", form)
        assert response.status_code == 200, (parent, kind)
        assert response.context["adminform"].form.errors
    assert Unit.objects.count() == before


def test_admin_cannot_move_a_unit_to_another_parent(world, make_user, client):
    """A move would have to rewrite the paths of the whole subtree; the admin shows the parent read-only."""
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["county"]), actions=("view", "change"))
    login_verified(client, user)
    v1 = world["v1"]
    form = {"code": "V1", "name": "上坑村", "kind": UnitKind.VILLAGE, "parent": world["t2"].pk, "is_active": "on"}
    client.post(f"/admin/core/unit/{v1.pk}/change/", form)
    v1.refresh_from_db()
    assert v1.parent == world["t1"] and v1.is_within(world["t1"])


def test_admin_user_page_shows_only_the_roles_in_the_users_units(world, make_user, client):
    user = staff_user(make_user, (RoleKind.ORG_ADMIN, world["t1"]))
    login_verified(client, user)
    other = Role.objects.filter(user__username="other").first().user
    response = client.get(f"/admin/core/user/{other.pk}/change/")
    assert response.status_code == 200
    (formset,) = [f for f in response.context["inline_admin_formsets"] if f.formset.model is Role]
    assert {f.instance.unit.code for f in formset.formset.forms} == {"V1"}


# --- who holds a role at a unit (remembered by the process for a moment) ----------------------------------------


def test_role_holders_are_the_active_users_with_the_role_at_that_unit_only(tree, make_user):
    from dangjian.core.permissions import holder_ids

    a = make_user("a", (RoleKind.SUPERVISION_OFFICE, tree["county"]))
    b = make_user("b", (RoleKind.SUPERVISION_OFFICE, tree["county"]), (RoleKind.RESPONDER, tree["county"]))
    make_user("below", (RoleKind.SUPERVISION_OFFICE, tree["t1"]))  # a role further down is not one at the county
    make_user("other-kind", (RoleKind.EDITOR, tree["county"]))
    gone = make_user("gone", (RoleKind.SUPERVISION_OFFICE, tree["county"]))
    gone.is_active = False
    gone.save()
    assert holder_ids(tree["county"].pk, [RoleKind.SUPERVISION_OFFICE]) == (a.pk, b.pk)
    # b holds both kinds asked for and is named once.
    assert holder_ids(tree["county"].pk, [RoleKind.SUPERVISION_OFFICE, RoleKind.RESPONDER]) == (a.pk, b.pk)


def test_role_holders_are_read_once_a_moment_and_again_after_a_change_in_this_process(
    tree, make_user, django_assert_num_queries
):
    from dangjian.core import actions
    from dangjian.core.permissions import holder_ids

    a = make_user("a", (RoleKind.SUPERVISION_OFFICE, tree["county"]))
    kinds = [RoleKind.SUPERVISION_OFFICE]
    with django_assert_num_queries(1):
        assert holder_ids(tree["county"].pk, kinds) == (a.pk,)
        assert holder_ids(tree["county"].pk, kinds) == (a.pk,)
    b = make_user("b", (RoleKind.SUPERVISION_OFFICE, tree["county"]))  # assigned here: seen at once
    assert holder_ids(tree["county"].pk, kinds) == (a.pk, b.pk)
    actions.revoke_role(actor=None, role=Role.objects.get(user=a))
    assert holder_ids(tree["county"].pk, kinds) == (b.pk,)
    b.is_active = False
    b.save()
    assert holder_ids(tree["county"].pk, kinds) == ()


def test_a_change_this_process_did_not_see_is_read_after_the_moment_has_passed(tree, make_user, monkeypatch):
    """Another process's change (here: an UPDATE that sends no signal) reaches this process within HOLDERS_SECONDS."""
    from dangjian.core import permissions
    from dangjian.core.models import User

    a = make_user("a", (RoleKind.SUPERVISION_OFFICE, tree["county"]))
    kinds = [RoleKind.SUPERVISION_OFFICE]
    clock = [1000.0]
    monkeypatch.setattr(permissions.time, "monotonic", lambda: clock[0])
    assert permissions.holder_ids(tree["county"].pk, kinds) == (a.pk,)
    User.objects.filter(pk=a.pk).update(is_active=False)
    clock[0] += permissions.HOLDERS_SECONDS / 2
    assert permissions.holder_ids(tree["county"].pk, kinds) == (a.pk,)  # still the moment read
    clock[0] += permissions.HOLDERS_SECONDS
    assert permissions.holder_ids(tree["county"].pk, kinds) == ()
