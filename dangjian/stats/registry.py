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
from datetime import date, timedelta

from django.utils.functional import Promise

CHARTS = ("bar", "line", "pie", "table")
GRANULARITIES = ("day", "month", "year")


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

    def buckets(self) -> list[date]:
        """The first day of each day/month/year bucket in the period."""
        out: list[date] = []
        if self.granularity == "day":
            d = self.start
            while d <= self.end:
                out.append(d)
                d += timedelta(days=1)
        elif self.granularity == "month":
            d = self.start.replace(day=1)
            while d <= self.end:
                out.append(d)
                d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            out = [date(y, 1, 1) for y in range(self.start.year, self.end.year + 1)]
        return out

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


def figures(*, public_only: bool = False, supermarket: str | None = None) -> list[Figure]:
    found = [f for f in _figures.values() if (f.public or not public_only)]
    if supermarket:
        found = [f for f in found if f.supermarket == supermarket]
    return sorted(found, key=lambda f: f.key)


def get(key: str) -> Figure:
    return _figures[key]
