"""Core: subtree queries at 100,000 units against 1,000, audit appends, working-day deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.harness import Result, p95, timings


def _tree(prefix: str, townships: int, villages: int, branches: int) -> None:
    """A county with its townships, villages and branches, bulk-inserted level by level with their parents (the
    tree other benchmarks add their own counties to must stay a tree)."""
    from dangjian.core.actions import child_path
    from dangjian.core.models import Unit, UnitKind

    last_root = Unit.objects.filter(parent__isnull=True).order_by("-path").values_list("path", flat=True).first()
    county = Unit.objects.create(
        code=f"{prefix}C", name="县", kind=UnitKind.COUNTY, path=child_path("", int(last_root or 0) + 1)
    )

    def under(parent: Unit, code: str, name: str, kind: str, n: int) -> Unit:
        return Unit(code=code, name=name, kind=kind, parent=parent, path=child_path(parent.path, n))

    towns = Unit.objects.bulk_create(
        under(county, f"{prefix}T{t}", f"乡{t}", UnitKind.TOWNSHIP, t) for t in range(1, townships + 1)
    )
    vills = Unit.objects.bulk_create(
        (under(t, f"{t.code}V{v}", f"村{v}", UnitKind.VILLAGE, v) for t in towns for v in range(1, villages + 1)),
        batch_size=5000,
    )
    Unit.objects.bulk_create(
        (under(v, f"{v.code}B{b}", f"支部{b}", UnitKind.BRANCH, b) for v in vills for b in range(1, branches + 1)),
        batch_size=5000,
    )


def run() -> list[Result]:
    from dangjian.core import audit, calendar
    from dangjian.core.models import Unit

    _tree("s", 2, 5, 99)  # 1,013 units
    _tree("b", 20, 50, 99)  # 100,021 units
    # The same-sized subtree (a village and its 99 branches) in a table of 1k and of 100k units.
    small, big = Unit.objects.get(code="sT2V3"), Unit.objects.get(code="bT7V3")
    q = lambda u: lambda: list(Unit.objects.subtree(u).values_list("id", flat=True))  # noqa: E731
    t_small, t_big = p95(timings(q(small))), p95(timings(q(big)))
    ratio = t_big / t_small
    results = [
        Result("subtree (100 units) p95 in a 100k-unit table", t_big * 1000, "ms", "< 20 ms", t_big < 0.02),
        Result(
            "subtree p95 ratio, 100k-unit / 1k-unit table",
            ratio,
            "×",
            "≤ 2×",
            ratio <= 2.0,
            f"1k: {t_small * 1000:.2f} ms",
        ),
    ]
    t_audit = timings(lambda: audit.record(actor=None, verb="bench.append", after={"n": 1}), repeat=500)
    per_sec = len(t_audit) / sum(t_audit)
    results.append(Result("audit appends", per_sec, "/s", "≥ 200/s", per_sec >= 200))
    start = datetime(2026, 1, 1, 3, tzinfo=UTC)
    t_deadline = timings(lambda: [calendar.deadline(start + timedelta(days=d), 15) for d in range(365)], repeat=5)
    per_call = min(t_deadline) / 365
    results.append(Result("deadline(+15 working days)", per_call * 1e6, "µs", "< 200 µs", per_call < 200e-6))
    return results
