"""Who may do what on the SMS platform, as role kinds for the permission layer's scope."""

from __future__ import annotations

from dangjian.core.models import RoleKind

#: May compose campaigns for their units and see their statistics.
COMPOSE_KINDS = (RoleKind.ORG_ADMIN, RoleKind.BRANCH_SECRETARY)
#: May approve a large campaign (never one they composed themselves).
APPROVE_KINDS = (RoleKind.ORG_ADMIN, RoleKind.UNIT_HEAD, RoleKind.COUNTY_LEADER)
#: May keep the opt-out list.
ADMIN_KINDS = (RoleKind.ORG_ADMIN,)
VIEW_KINDS = tuple(dict.fromkeys(COMPOSE_KINDS + APPROVE_KINDS))
