"""Who may do what in the registry, as role kinds for the permission layer's scope."""

from __future__ import annotations

from dangjian.core.models import RoleKind

#: May see the registry's records (masked) in their units.
VIEW_KINDS = (RoleKind.ORG_ADMIN, RoleKind.BRANCH_SECRETARY, RoleKind.COUNTY_LEADER, RoleKind.UNIT_HEAD)
#: May create and change records, import, and manage transfers.
EDIT_KINDS = (RoleKind.ORG_ADMIN, RoleKind.BRANCH_SECRETARY)
#: Have a need to see full ID numbers and phones (each view is audit-logged).
REVEAL_KINDS = (RoleKind.ORG_ADMIN, RoleKind.BRANCH_SECRETARY)
#: May see the sensitive record tabs: punishments and family members (others see rewards only, no family).
SENSITIVE_KINDS = (RoleKind.ORG_ADMIN, RoleKind.BRANCH_SECRETARY)
#: May export unmasked personal data.
EXPORT_PERSONAL_KINDS = (RoleKind.ORG_ADMIN,)
#: Committees above a branch that approve transfers and dues reductions.
COMMITTEE_KINDS = (RoleKind.ORG_ADMIN,)


def role_for(scope, unit, kinds) -> str:
    """The first of `kinds` through which the scope reaches `unit`, for the audit record ("" for a superuser)."""
    if scope.unrestricted:
        return ""
    for kind in kinds:
        if scope.covers(unit, [kind]):
            return str(kind)
    return ""
