"""Who may do what in the supervision supermarket, as role kinds checked through the one permission layer."""

from __future__ import annotations

from dangjian.core.models import RoleKind

OFFICE_KINDS = (RoleKind.SUPERVISION_OFFICE,)
RESPONDER_KINDS = (RoleKind.RESPONDER, RoleKind.UNIT_HEAD)
HEAD_KINDS = (RoleKind.UNIT_HEAD,)
LEADER_KINDS = (RoleKind.COUNTY_LEADER,)
#: Roles that read letters in their scope (the office and leaders read every letter of their subtree).
READ_KINDS = (*OFFICE_KINDS, *RESPONDER_KINDS, *LEADER_KINDS)
