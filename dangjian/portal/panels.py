"""The core's own workbench panels: the in-site inbox, the outbox's failures, the calendar's gaps."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core import calendar
from dangjian.core.models import Channel, Notification, NotificationState, RoleKind
from dangjian.portal.workbench import DUE, LATE, WAITING, Panel, WorkItem, register


@register
def inbox_panel(user, scope):
    unread = Notification.objects.filter(
        channel=Channel.INBOX, recipient=user, state=NotificationState.SENT, read_at__isnull=True
    ).count()
    return [Panel(_("My inbox"), [WorkItem(_("Unread messages"), unread, "/work/inbox/", WAITING)], order=10)]


@register
def platform_panel(user, scope):
    if not scope.has_kind(RoleKind.ORG_ADMIN):
        return []
    items = []
    stuck = scope.filter(
        Notification.objects.filter(state__in=[NotificationState.FAILED, NotificationState.UNKNOWN])
    ).count()
    items.append(WorkItem(_("Messages that could not be delivered"), stuck, "/admin/core/notification/", LATE))
    missing = calendar.unknown_years_ahead(timezone.localdate())
    if missing:
        items.append(
            WorkItem(
                _("Years without the official holiday arrangement"),
                len(missing),
                "/admin/core/calendaryear/",
                DUE,
            )
        )
    return [Panel(_("Platform"), items, order=90)]
