"""Changes of state in the core: units and roles. Each act is atomic and leaves an audit record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core import audit
from dangjian.core.models import PATH_STEP, Role, RoleKind, Unit, UnitKind, User

# Which kinds of unit may stand under which; the county is the only root.
ALLOWED_CHILDREN: dict[str, set[str]] = {
    UnitKind.COUNTY: {UnitKind.TOWNSHIP, UnitKind.DEPARTMENT, UnitKind.COMMITTEE},
    UnitKind.TOWNSHIP: {UnitKind.VILLAGE, UnitKind.COMMITTEE, UnitKind.GENERAL_BRANCH, UnitKind.BRANCH},
    UnitKind.DEPARTMENT: {UnitKind.COMMITTEE, UnitKind.GENERAL_BRANCH, UnitKind.BRANCH},
    UnitKind.COMMITTEE: {UnitKind.GENERAL_BRANCH, UnitKind.BRANCH, UnitKind.VILLAGE},
    UnitKind.GENERAL_BRANCH: {UnitKind.BRANCH},
    UnitKind.BRANCH: set(),
    UnitKind.VILLAGE: {UnitKind.BRANCH, UnitKind.STATION},
    UnitKind.STATION: set(),
}


def child_path(parent_path: str, number: int) -> str:
    if not 0 < number < 10**PATH_STEP:
        raise ValueError("sibling number out of range")
    return f"{parent_path}{number:0{PATH_STEP}d}"


def _next_child_path(parent: Unit | None) -> str:
    siblings = Unit.objects.filter(parent=parent) if parent else Unit.objects.filter(parent__isnull=True)
    last = siblings.order_by("-path").values_list("path", flat=True).first()
    number = int(last[-PATH_STEP:]) + 1 if last else 1
    return child_path(parent.path if parent else "", number)


@transaction.atomic
def create_unit(*, actor: User | None, code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    if kind not in UnitKind.values:
        raise ValidationError(_("Unknown kind of unit."))
    if parent is None and kind != UnitKind.COUNTY:
        raise ValidationError(_("Only the county stands at the top of the tree."))
    if parent is not None:
        # Lock the parent so two units added under it at once get different paths.
        parent = Unit.objects.select_for_update().get(pk=parent.pk)
        if kind not in ALLOWED_CHILDREN[parent.kind]:
            raise ValidationError(
                _("A %(child)s cannot stand under a %(parent)s.")
                % {"child": UnitKind(kind).label, "parent": UnitKind(parent.kind).label}
            )
    if Unit.objects.filter(code=code).exists():
        raise ValidationError(_("A unit with code %(code)s already exists.") % {"code": code})
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, path=_next_child_path(parent))
    audit.record(actor=actor, verb="unit.create", obj=unit, unit=unit, after={"code": code, "name": name, "kind": kind})
    return unit


@transaction.atomic
def assign_role(*, actor: User | None, user: User, unit: Unit, kind: str) -> Role:
    if kind not in RoleKind.values:
        raise ValidationError(_("Unknown role."))
    role, created = Role.objects.get_or_create(user=user, unit=unit, kind=kind)
    if created:
        audit.record(actor=actor, verb="role.assign", obj=role, unit=unit, after={"user": user.pk, "kind": kind})
    return role


@transaction.atomic
def revoke_role(*, actor: User | None, role: Role) -> None:
    before = {"user": role.user_id, "kind": role.kind, "unit": role.unit_id}
    unit = role.unit
    audit.record(actor=actor, verb="role.revoke", obj=role, unit=unit, before=before)
    role.delete()
