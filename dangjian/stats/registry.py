"""The one place where each supermarket registers its figures; the stats app renders, tables and exports them.

An app declares figures in its own `stats.py` (imported from its AppConfig.ready()):

    from dangjian.stats.registry import Figure, Period, Series, register

    @register(key="supervision.letters_per_channel", title=_("Letters per channel"), supermarket="supervision",
              public=True, chart="bar", unit=_("letters"))
    def letters_per_channel(period: Period, scope: Scope | None) -> Series:
        ...

`scope` is None for the public 数据公开 page (the whole county, public data only) and the viewer's Scope on the
workbench (compute must then filter with scope.filter(...)). A figure returns a Series: x labels and one or more
named value lists of the same length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.functional import Promise

CHARTS = ("bar", "line", "pie", "table")
GRANULARITIES = ("day", "month", "year")
#: The groups of the 数据公开 page, in the order it shows them.
SUPERMARKETS = ("supervision", "education", "services", "publicity", "platform")
#: Days are days in the county: a bucket runs from midnight to midnight Asia/Shanghai.
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _next_month(d: date) -> date:
    return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    granularity: str = "month"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("period ends before it starts")
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}")

    @classmethod
    def default(cls, today: date | None = None) -> Period:
        """The last 12 months by month: from the first day of the month 11 months back to today (Asia/Shanghai)."""
        today = today or timezone.localdate(timezone=SHANGHAI)
        months_back = today.year * 12 + today.month - 1 - 11
        return cls(date(months_back // 12, months_back % 12 + 1, 1), today, "month")

    def bucket_count(self) -> int:
        """len(self.buckets()), without building the list (to refuse a huge period cheaply)."""
        if self.granularity == "day":
            return (self.end - self.start).days + 1
        if self.granularity == "month":
            return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return self.end.year - self.start.year + 1

    def buckets(self) -> list[date]:
        """The first day of each day/month/year bucket in the period."""
        if self.granularity == "day":
            return [self.start + timedelta(days=i) for i in range(self.bucket_count())]
        if self.granularity == "month":
            out = [self.start.replace(day=1)]
            for _ in range(self.bucket_count() - 1):
                out.append(_next_month(out[-1]))
            return out
        return [date(y, 1, 1) for y in range(self.start.year, self.end.year + 1)]

    def bucket_of(self, day: date) -> date:
        """The first day of the bucket a day falls in."""
        if self.granularity == "day":
            return day
        return day.replace(day=1) if self.granularity == "month" else date(day.year, 1, 1)

    def starts_at(self) -> datetime:
        """Midnight Asia/Shanghai at the start of the period (for `field__gte=`)."""
        return datetime.combine(self.start, time.min, tzinfo=SHANGHAI)

    def ends_before(self) -> datetime:
        """Midnight Asia/Shanghai after the last day of the period (for `field__lt=`)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=SHANGHAI)

    @property
    def slug(self) -> str:
        """e.g. 2025-12-01_2026-11-30_month: names the period in file names and cache keys."""
        return f"{self.start.isoformat()}_{self.end.isoformat()}_{self.granularity}"

    def label(self, bucket: date) -> str:
        return {"day": bucket.isoformat(), "month": bucket.strftime("%Y-%m"), "year": str(bucket.year)}[
            self.granularity
        ]


@dataclass(frozen=True)
class Series:
    labels: list[str]
    values: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, vals in self.values.items():
            if len(vals) != len(self.labels):
                raise ValueError(f"series {name!r} has {len(vals)} values for {len(self.labels)} labels")


Compute = Callable[[Period, object], Series]


@dataclass(frozen=True)
class Figure:
    key: str
    title: str | Promise
    supermarket: str  # "supervision", "education", "services", "publicity" or "platform"
    public: bool
    chart: str
    compute: Compute
    unit: str | Promise = ""

    def __post_init__(self) -> None:
        if self.chart not in CHARTS:
            raise ValueError(f"chart must be one of {CHARTS}")


_figures: dict[str, Figure] = {}


def register(*, key: str, title, supermarket: str, public: bool, chart: str = "bar", unit="") -> Callable:
    def decorator(compute: Compute) -> Compute:
        if key in _figures and _figures[key].compute is not compute:
            raise ValueError(f"figure {key!r} registered twice")
        _figures[key] = Figure(key, title, supermarket, public, chart, compute, unit)
        return compute

    return decorator


def unregister(key: str) -> None:
    """Remove a figure (tests that register one of their own clean up with it)."""
    _figures.pop(key, None)


def figures(*, public_only: bool = False, supermarket: str | None = None) -> list[Figure]:
    found = [f for f in _figures.values() if (f.public or not public_only)]
    if supermarket:
        found = [f for f in found if f.supermarket == supermarket]
    return sorted(found, key=lambda f: f.key)


def get(key: str) -> Figure:
    return _figures[key]
