"""The education supermarket's figures for /data/ and /work/stats/: library use, Sunday classes, requests (点播)."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.education.models import ClassReport, HitKind, PlayRequest, RequestChannel, ResourceHit
from dangjian.stats.queries import bucket_counts_by, scoped
from dangjian.stats.registry import Period, Series, register


def _per_bucket(period: Period, rows) -> dict[object, list[int]]:
    """Sum (day, group, n) rows of dates into the period's buckets, per group."""
    index = {b: i for i, b in enumerate(period.buckets())}
    out: dict[object, list[int]] = {}
    for day, group, n in rows:
        out.setdefault(group, [0] * len(index))[index[period.bucket_of(day)]] += n or 0
    return out


def _in_period(period: Period, field: str) -> dict[str, date]:
    return {f"{field}__gte": period.start, f"{field}__lte": period.end}


@register(
    key="education.library_use",
    title=_("Library: views, downloads and plays"),
    supermarket="education",
    public=True,
    chart="line",
    unit=_("times"),
)
def library_use(period: Period, scope: Scope | None) -> Series:
    qs = ResourceHit.objects.filter(**_in_period(period, "day"))
    if scope is not None:
        qs = scope.filter(qs, unit_field="resource__unit")
    by_kind = _per_bucket(
        period, qs.order_by().values("day", "kind").annotate(n=Sum("count")).values_list("day", "kind", "n")
    )
    zeros = [0] * period.bucket_count()
    return Series(
        labels=[period.label(b) for b in period.buckets()],
        values={str(k.label): by_kind.get(k.value, zeros) for k in HitKind},
    )


@register(
    key="education.sunday_classes",
    title=_("Sunday classes held and their attendance"),
    supermarket="education",
    public=True,
    chart="bar",
    unit=_("classes / people"),
)
def sunday_classes(period: Period, scope: Scope | None) -> Series:
    qs = scoped(ClassReport.objects.filter(**_in_period(period, "held_on")), scope).order_by().values("held_on")
    rows = list(qs.annotate(n=Count("pk"), people=Sum("attendance")).values_list("held_on", "n", "people"))
    classes = _per_bucket(period, ((day, None, n) for day, n, _p in rows))
    attendance = _per_bucket(period, ((day, None, p) for day, _n, p in rows))
    zeros = [0] * period.bucket_count()
    return Series(
        labels=[period.label(b) for b in period.buckets()],
        values={str(_("Classes")): classes.get(None, zeros), str(_("Attendance")): attendance.get(None, zeros)},
    )


@register(
    key="education.requests",
    title=_("On-demand requests (点播) by channel"),
    supermarket="education",
    public=False,
    chart="bar",
    unit=_("requests"),
)
def requests(period: Period, scope: Scope | None) -> Series:
    by_channel = bucket_counts_by(scoped(PlayRequest.objects.all(), scope), "created_at", period, "channel")
    zeros = [0] * period.bucket_count()
    return Series(
        labels=[period.label(b) for b in period.buckets()],
        values={str(c.label): by_channel.get(c.value, zeros) for c in RequestChannel},
    )
