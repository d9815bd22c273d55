"""The platform's own figures: the organisation tree (public), notifications and audited actions (staff)."""

from __future__ import annotations

from django.db.models import Count
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import AuditRecord, Notification, NotificationState, Unit, UnitKind
from dangjian.core.permissions import Scope
from dangjian.stats.queries import bucket_counts, bucket_counts_by, scoped
from dangjian.stats.registry import Period, Series, register


@register(
    key="platform.units_by_kind",
    title=_("Units by kind"),
    supermarket="platform",
    public=True,
    chart="bar",
    unit=_("units"),
)
def units_by_kind(period: Period, scope: Scope | None) -> Series:
    """Active units today, per kind (the tree has no history: the period does not change it)."""
    counts = dict(
        scoped(Unit.objects.filter(is_active=True), scope).order_by().values_list("kind").annotate(n=Count("pk"))
    )
    kinds = [k for k in UnitKind if k != UnitKind.COUNTY]
    return Series(labels=[k.label for k in kinds], values={_("Units"): [counts.get(k.value, 0) for k in kinds]})


@register(
    key="platform.stations_per_township",
    title=_("Distance-education stations per township"),
    supermarket="platform",
    public=True,
    chart="bar",
    unit=_("stations"),
)
def stations_per_township(period: Period, scope: Scope | None) -> Series:
    """Active stations under each township, counted in the database by the township's prefix of their path."""
    townships = list(
        scoped(Unit.objects.filter(kind=UnitKind.TOWNSHIP, is_active=True), scope).values_list("path", "name")
    )
    counts: dict[str, int] = {}
    for length in {len(path) for path, _name in townships}:
        counts.update(
            scoped(Unit.objects.filter(kind=UnitKind.STATION, is_active=True), scope)
            .annotate(prefix=Substr("path", 1, length))
            .order_by()
            .values_list("prefix")
            .annotate(n=Count("pk"))
        )
    return Series(
        labels=[name for _path, name in townships],
        values={_("Stations"): [counts.get(path, 0) for path, _name in townships]},
    )


@register(
    key="platform.notifications_per_day",
    title=_("Notifications sent and failed"),
    supermarket="platform",
    public=False,
    chart="line",
    unit=_("messages"),
)
def notifications_per_day(period: Period, scope: Scope | None) -> Series:
    """Messages queued in each bucket that were delivered, and those given up after every retry."""
    by_state = bucket_counts_by(scoped(Notification.objects.all(), scope), "created_at", period, "state")
    zeros = [0] * period.bucket_count()
    return Series(
        labels=[period.label(b) for b in period.buckets()],
        values={
            _("Messages sent"): by_state.get(NotificationState.SENT.value, zeros),
            _("Messages failed"): by_state.get(NotificationState.FAILED.value, zeros),
        },
    )


@register(
    key="platform.audit_actions_per_day",
    title=_("Recorded actions"),
    supermarket="platform",
    public=False,
    chart="line",
    unit=_("actions"),
)
def audit_actions_per_day(period: Period, scope: Scope | None) -> Series:
    """Entries of the audit chain in each bucket, for the viewer's units."""
    counts = bucket_counts(scoped(AuditRecord.objects.all(), scope), "at", period)
    return Series(labels=[period.label(b) for b in period.buckets()], values={_("Actions"): counts})
