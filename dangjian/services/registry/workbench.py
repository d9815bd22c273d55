"""The registry's panel of the staff workbench: cadre alerts (retirement age, terms of office) and overdue receipts."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.portal.workbench import DUE, LATE, WAITING, Panel, WorkItem, register
from dangjian.services.registry import queries
from dangjian.services.registry.access import VIEW_KINDS


@register
def registry_panels(user, scope: Scope) -> list[Panel]:
    if not scope.has_kind(*VIEW_KINDS):
        return []
    today = timezone.localdate()
    alerts = queries.cadre_alerts(user, today=today)
    url = reverse("registry:cadre_alerts")
    items = []
    for kind, label in (
        (queries.AlertKind.RETIREMENT, _("Cadres at or near retirement age")),
        (queries.AlertKind.TERM, _("Terms of office over or ending")),
    ):
        mine = [a for a in alerts if a.kind == kind]
        state = LATE if any(a.late(today) for a in mine) else DUE if mine else WAITING
        items.append(WorkItem(label, len(mine), f"{url}?kind={kind}", state))
    overdue = queries.overdue_transfers(user, today).count()
    items.append(WorkItem(_("Transfer receipts overdue"), overdue, f"{reverse('registry:transfer_list')}?state=overdue",
                          LATE))  # fmt: skip
    return [Panel(_("Member and cadre records"), items, order=50)]
