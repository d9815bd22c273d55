"""Helpers for figures' compute functions: scope a queryset, count rows per bucket of a period in one query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import Count, DateTimeField, QuerySet
from django.db.models.functions import Trunc

from dangjian.core.permissions import Scope
from dangjian.stats.registry import SHANGHAI, Period


def scoped(qs: QuerySet, scope: Scope | None, kinds: Iterable[str] | None = None) -> QuerySet:
    """The whole county for the public page (scope None), else what the viewer's roles reach."""
    return qs if scope is None else scope.filter(qs, kinds=kinds)


def _bucket_day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    return value


def bucket_counts_by(qs: QuerySet, field: str, period: Period, by: str | None) -> dict[object, list[int]]:
    """Rows of `qs` whose datetime `field` lies in the period, counted per bucket and per value of `by`.

    One GROUP BY query; buckets are cut at midnight Asia/Shanghai. Returns {value of `by` (None when `by` is
    None): counts aligned with period.buckets()}; a value with no row at all is absent.
    """
    size = period.bucket_count()
    index = {b: i for i, b in enumerate(period.buckets())}
    rows = (
        qs.filter(**{f"{field}__gte": period.starts_at(), f"{field}__lt": period.ends_before()})
        .annotate(_bucket=Trunc(field, period.granularity, output_field=DateTimeField(), tzinfo=SHANGHAI))
        .order_by()
        .values_list("_bucket", *([by] if by else []))
        .annotate(_n=Count("pk"))
    )
    out: dict[object, list[int]] = {}
    for bucket, *group, n in rows:
        counts = out.setdefault(group[0] if group else None, [0] * size)
        counts[index[period.bucket_of(_bucket_day(bucket))]] += n
    return out


def bucket_counts(qs: QuerySet, field: str, period: Period) -> list[int]:
    """Rows of `qs` whose datetime `field` lies in the period, counted per bucket (aligned with period.buckets())."""
    return bucket_counts_by(qs, field, period, None).get(None, [0] * period.bucket_count())
