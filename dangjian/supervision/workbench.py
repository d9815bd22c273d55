"""The supervision panel of the staff workbench: letters waiting for the user, due soon and late in their units."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.portal.workbench import DUE, LATE, Panel, WorkItem, register
from dangjian.supervision import queries
from dangjian.supervision.access import OFFICE_KINDS, READ_KINDS


@register
def supervision_panels(user, scope: Scope) -> list[Panel]:
    if not scope.has_kind(*READ_KINDS):
        return []
    letters = queries.staff_letters(user)
    url = reverse("supervision_work:queue")
    items = [
        WorkItem(_("Letters waiting for you"), letters.filter(queries.waiting_q(user)).count(), f"{url}?q=waiting"),
        WorkItem(_("Letters due soon"), letters.filter(queries.due_q()).count(), f"{url}?q=due", DUE),
        WorkItem(_("Late letters"), letters.filter(queries.late_q()).count(), f"{url}?q=late", LATE),
    ]
    if scope.has_kind(*OFFICE_KINDS):
        items.append(
            WorkItem(
                _("Extension requests"),
                queries.pending_extensions(user).count(),
                reverse("supervision_work:extensions"),
            )
        )
    return [Panel(_("Letters (online supervision)"), items, order=10)]
