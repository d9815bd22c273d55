"""Computed figures, cached per (figure, period, scope, language) so the public page costs no query under load.

A cached entry holds the Series (labels and names already translated to plain strings), the rendered SVG and the
time it was computed. Entries live a few minutes; `warm()` (the daily statistics task) stores the public figures of
the default period for a day. `invalidate()` drops every entry at once by moving to a new generation of keys.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from dangjian.core.permissions import Scope
from dangjian.stats import export
from dangjian.stats.charts import render_svg
from dangjian.stats.registry import Figure, Period, Series

logger = logging.getLogger(__name__)

#: How long a computed figure is served from the cache (seconds).
CACHE_SECONDS = getattr(settings, "DANGJIAN_STATS_CACHE_SECONDS", 300)
#: How long the daily task's precomputed public figures are kept: until after the next run.
WARM_SECONDS = getattr(settings, "DANGJIAN_STATS_WARM_SECONDS", 26 * 3600)
GENERATION_KEY = "stats:generation"


@dataclass(frozen=True)
class Result:
    figure: Figure
    series: Series | None  # None: the figure failed to compute (logged); the page says so
    svg: SafeString
    computed_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.series is None

    @property
    def table(self) -> list[list]:
        """The header row, then one row per label: the same numbers as the chart, as text (WCAG 1.1.1)."""
        return export.rows(self.series) if self.series is not None else []


def scope_key(scope: Scope | None) -> str:
    """Names the data a scope sees: public, everything, or a digest of its unit paths per role kind."""
    if scope is None:
        return "public"
    if scope.unrestricted:
        return "all"
    paths = sorted((kind, tuple(sorted(ps))) for kind, ps in scope.paths_by_kind.items())
    return hashlib.sha256(repr(paths).encode()).hexdigest()[:24]


def _generation() -> str:
    gen = cache.get(GENERATION_KEY)
    if gen is None:
        gen = uuid.uuid4().hex[:12]
        # add(): two processes starting at once agree on one generation.
        cache.add(GENERATION_KEY, gen, timeout=None)
        gen = cache.get(GENERATION_KEY, gen)
    return gen


def invalidate() -> None:
    """Forget every cached figure (after a data import, or between tests)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex[:12], timeout=None)


def _key(gen: str, figure: Figure, period: Period, scope: Scope | None) -> str:
    return f"stats:{gen}:{figure.key}:{period.slug}:{scope_key(scope)}:{translation.get_language() or ''}"


def _plain(series: Series) -> Series:
    """Labels and names as plain strings (lazy translations resolved now), values as numbers: safe to pickle."""
    return Series(
        labels=[str(label) for label in series.labels],
        values={str(name): [v if v is None else float(v) for v in vals] for name, vals in series.values.items()},
    )


def _compute(figure: Figure, period: Period, scope: Scope | None) -> Result | None:
    try:
        series = _plain(figure.compute(period, scope))
    except Exception:
        # One broken figure must not take the whole 数据公开 page down; the error is logged with its trace.
        logger.exception("figure %s failed to compute for %s", figure.key, period.slug)
        return None
    return Result(figure, series, mark_safe(render_svg(figure, series)), timezone.now())  # noqa: S308 (pygal escapes)


def results(figures: list[Figure], period: Period, scope: Scope | None) -> list[Result]:
    """Each figure computed for the period and scope, from the cache where it can be: two cache round trips."""
    gen = _generation()
    keys = {f.key: _key(gen, f, period, scope) for f in figures}
    cached = cache.get_many(list(keys.values()))
    out: list[Result] = []
    fresh: dict[str, tuple] = {}
    for figure in figures:
        hit = cached.get(keys[figure.key])
        if hit is not None:
            series, svg, computed_at = hit
            out.append(Result(figure, series, mark_safe(svg), computed_at))  # noqa: S308 (our own rendering)
            continue
        result = _compute(figure, period, scope)
        if result is None:
            out.append(Result(figure, None, mark_safe(""), None))
            continue
        fresh[keys[figure.key]] = (result.series, str(result.svg), result.computed_at)
        out.append(result)
    if fresh:
        cache.set_many(fresh, timeout=CACHE_SECONDS)
    return out


def result(figure: Figure, period: Period, scope: Scope | None) -> Result:
    return results([figure], period, scope)[0]


def warm(figures: list[Figure], period: Period, scope: Scope | None = None) -> int:
    """Compute the figures now and keep them until after the next daily run; returns how many were stored."""
    gen = _generation()
    fresh = {}
    for figure in figures:
        computed = _compute(figure, period, scope)
        if computed is not None:
            fresh[_key(gen, figure, period, scope)] = (computed.series, str(computed.svg), computed.computed_at)
    cache.set_many(fresh, timeout=WARM_SECONDS)
    return len(fresh)
