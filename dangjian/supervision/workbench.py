"""The supervision panel of the staff workbench: letters waiting for the user, due soon and late in their units."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.portal.workbench import DUE, LATE, Panel, WorkItem, register
from dangjian.supervision import queries
from dangjian.supervision.access import HEAD_KINDS, OFFICE_KINDS, READ_KINDS, RESPONDER_KINDS


@register
def supervision_panels(user, scope: Scope) -> list[Panel]:
    if not scope.has_kind(*READ_KINDS):
        return []
    now = timezone.now()
    # The three counts in one query (each a filtered COUNT). Nothing waits for a user who acts on no letter (a
    # leader who reads): that count is left out, since an always-false filter would empty the whole query.
    counts = {"due": Count("pk", filter=queries.due_q(now)), "late": Count("pk", filter=queries.late_q(now))}
    if scope.has_kind(*OFFICE_KINDS, *RESPONDER_KINDS, *HEAD_KINDS):
        counts["waiting"] = Count("pk", filter=queries.waiting_q(user))
    found = queries.staff_letters(user).aggregate(**counts)
    url = reverse("supervision_work:queue")
    items = [
        WorkItem(_("Letters waiting for you"), found.get("waiting", 0), f"{url}?q=waiting"),
        WorkItem(_("Letters due soon"), found["due"], f"{url}?q=due", DUE),
        WorkItem(_("Late letters"), found["late"], f"{url}?q=late", LATE),
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
