"""Figures of the publicity supermarket for the stats app: hits per day, the most read pages, notices per kind."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from dangjian.core.permissions import Scope
from dangjian.publicity.models import Classification, NoticeKind, NoticePage, PageHit
from dangjian.stats.registry import Period, Series, register

TOP_PAGES = 10


def _pages_q(scope: Scope | None, prefix: str = "") -> Q:
    """Public pages for everyone; on the workbench also the internal pages of the viewer's units."""
    public = Q(**{f"{prefix}classification": Classification.PUBLIC})
    return public if scope is None else public | scope.q(f"{prefix}unit")


def _hits(period: Period, scope: Scope | None):
    return PageHit.objects.filter(day__gte=period.start, day__lte=period.end).filter(_pages_q(scope, "page__"))


@register(
    key="publicity.hits",
    title=_("Hits on the public site"),
    supermarket="publicity",
    public=True,
    chart="line",
    unit=_("hits"),
)
def hits_per_bucket(period: Period, scope: Scope | None) -> Series:
    counts = [0] * period.bucket_count()
    index = {b: i for i, b in enumerate(period.buckets())}
    for day, n in _hits(period, scope).order_by().values_list("day").annotate(n=Sum("count")):
        counts[index[period.bucket_of(day)]] += n
    return Series(labels=[period.label(b) for b in period.buckets()], values={_("Hits"): counts})


@register(
    key="publicity.top_pages",
    title=_("Most read pages"),
    supermarket="publicity",
    public=True,
    chart="table",
    unit=_("hits"),
)
def top_pages(period: Period, scope: Scope | None) -> Series:
    rows = list(
        _hits(period, scope)
        .order_by()
        .values_list("page__title")
        .annotate(n=Sum("count"))
        .order_by("-n", "page__title")[:TOP_PAGES]
    )
    return Series(labels=[title for title, _n in rows], values={_("Hits"): [n for _title, n in rows]})


@register(
    key="publicity.notices_per_kind",
    title=_("Public notices per kind and year"),
    supermarket="publicity",
    public=True,
    chart="bar",
    unit=_("notices"),
)
def notices_per_kind(period: Period, scope: Scope | None) -> Series:
    """Published notices by the year their period started (the seed's 干部任免公示 7, 表彰先进公示 3, …)."""
    years = list(range(period.start.year, period.end.year + 1))
    rows = (
        NoticePage.objects.filter(first_published_at__isnull=False, period_start__gte=period.start)
        .filter(period_start__lte=period.end)
        .filter(_pages_q(scope))
        .annotate(year=ExtractYear("period_start"))
        .order_by()
        .values_list("kind", "year")
        .annotate(n=Count("pk"))
    )
    counts = {(kind, year): n for kind, year, n in rows}
    return Series(
        labels=[str(y) for y in years],
        values={kind.label: [counts.get((kind.value, y), 0) for y in years] for kind in NoticeKind},
    )
