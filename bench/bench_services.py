"""Services: member search at 10,000 and 1,000,000 members, a 100,000-row import, the monthly dues run at 1,000,000."""

from __future__ import annotations

import resource
import sys
import time

from bench.harness import Result, p95, progress, scale, timings

SMALL, BIG = scale(10_000, 2_000), scale(1_000_000, 50_000)
IMPORT_ROWS = scale(100_000, 5_000)


def _reset_peak_rss() -> None:
    """Start the process's peak RSS afresh (Linux: writing 5 to clear_refs resets VmHWM), so the figure after the
    import is the import's, not the seeding's before it. Elsewhere the peak stays the whole process's."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _people(branches, start: int, stop: int) -> None:
    """Members made straight into the table (the actions' checks are what the import benchmark measures)."""
    from datetime import date

    from dangjian.services.registry.bulk import insert_people
    from dangjian.services.registry.models import Person
    from dangjian.services.registry.pinyin import name_pinyin
    from tests.services.workbooks import person_row

    names: dict[str, tuple[str, str]] = {}
    batch = []
    for i in range(start, stop):
        name = person_row(i, "")[0]
        pinyin, initials = names.get(name) or names.setdefault(name, name_pinyin(name))
        batch.append(Person(name=name, name_pinyin=pinyin, name_initials=initials, gender="male",
                            branch=branches[i % len(branches)], joined_date=date(2010, 7, 1),
                            full_member_date=date(2011, 7, 1), category="farmer"))  # fmt: skip
        if len(batch) == 50_000:
            insert_people(batch)
            batch = []
            progress(f"{i + 1:,} members")
    insert_people(batch)


def _analyze() -> None:
    """PostgreSQL: statistics for the rows just copied in, as autovacuum would gather them within a minute or so.
    Without them the planner takes the million-row table for empty, and the dues run's batches (the next members
    by pk) went through the stage index and a sort each: minutes instead of seconds."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _search_p95(user) -> float:
    from dangjian.services.registry import queries

    def page():
        qs = queries.search(user, queries.SearchFilters(q="zjh"))
        list(qs[:50])
        qs.count()

    return p95(timings(page, repeat=40))


def run() -> list[Result]:
    from datetime import date

    from dangjian.core import actions as core_actions
    from dangjian.core.models import Role, RoleKind, UnitKind, User
    from dangjian.services.dues.actions import run_month
    from dangjian.services.registry import importing
    from tests.services.workbooks import person_row, workbook

    county = core_actions.create_unit(actor=None, code="SVC", name="县", kind=UnitKind.COUNTY, parent=None)
    township = core_actions.create_unit(actor=None, code="SVCT", name="镇", kind=UnitKind.TOWNSHIP, parent=county)
    branches = [
        core_actions.create_unit(actor=None, code=f"SVCB{i}", name=f"支部{i}", kind=UnitKind.BRANCH, parent=township)
        for i in range(20)
    ]
    user = User.objects.create(username="svc-bench")
    Role.objects.create(user=user, kind=RoleKind.ORG_ADMIN, unit=county)
    results = []

    _people(branches, 0, SMALL)
    _analyze()
    t_small = _search_p95(user)
    _people(branches, SMALL, BIG)
    _analyze()
    t_big = _search_p95(user)
    ratio = t_big / t_small
    results.append(Result(f"member search p95 at {BIG:,} members", t_big * 1000, "ms", "< 50 ms", t_big < 0.05))
    results.append(Result(f"member search p95 ratio, {BIG:,} / {SMALL:,}", ratio, "×", "≤ 2×", ratio <= 2,
                          f"{SMALL:,}: {t_small * 1000:.2f} ms"))  # fmt: skip

    content = workbook([person_row(10_000_000 + i, "SVCB1") for i in range(IMPORT_ROWS)])
    progress(f"importing {IMPORT_ROWS:,} rows")
    _reset_peak_rss()
    t0 = time.perf_counter()
    report = importing.check(content, "bench.xlsx", user=None)
    counts = importing.apply(report, actor=None, only_valid=False)
    elapsed = time.perf_counter() - t0
    peak = _peak_rss_mb()
    complete = counts["created"] == IMPORT_ROWS
    results.append(Result(f"import of {IMPORT_ROWS:,} rows, all checks", elapsed, "s", "< 60 s",
                          elapsed < 60 and complete, f"{counts['created']:,} created"))  # fmt: skip
    results.append(Result("peak memory of the process during the import", peak, "MB", "< 500 MB", peak < 500))

    progress("monthly dues run")
    t0 = time.perf_counter()
    done = run_month(actor=None, month=date(2026, 1, 1))
    elapsed = time.perf_counter() - t0
    members = BIG + IMPORT_ROWS
    complete = done.created == members
    results.append(Result(f"monthly dues run over {members:,} members", elapsed, "s", "< 60 s",
                          elapsed < 60 and complete, f"{done.created:,} lines"))  # fmt: skip
    # The target is a million members in 60 s; a QUICK run's rate says whether the full size would meet it.
    rate = done.created / elapsed
    note = f"10⁶ members in ≈ {1_000_000 / rate:.0f} s"
    results.append(Result("monthly dues run, lines per second", rate, "/s", "≥ 16,667 /s (10⁶ in 60 s)",
                          rate >= 1_000_000 / 60 and complete, note))  # fmt: skip
    return results
