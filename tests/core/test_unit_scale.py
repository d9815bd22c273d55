"""Subtree queries stay one indexed query at 100,000 units (the plan is checked, not the time)."""

import pytest
from django.db import connection

from dangjian.core.actions import child_path
from dangjian.core.models import Unit, UnitKind

pytestmark = pytest.mark.slow


def _build(n_townships=20, villages=50, branches=99):
    """county → 20 townships → 50 villages each → 99 branches each: 1 + 20 + 1,000 + 99,000 = 100,021 units."""
    county = Unit(code="C", name="县", kind=UnitKind.COUNTY, path=child_path("", 1))
    rows = [county]
    for t in range(1, n_townships + 1):
        tp = child_path(county.path, t)
        rows.append(Unit(code=f"T{t}", name=f"乡{t}", kind=UnitKind.TOWNSHIP, path=tp))
        for v in range(1, villages + 1):
            vp = child_path(tp, v)
            rows.append(Unit(code=f"T{t}V{v}", name=f"村{v}", kind=UnitKind.VILLAGE, path=vp))
            for b in range(1, branches + 1):
                rows.append(Unit(code=f"T{t}V{v}B{b}", name=f"支部{b}", kind=UnitKind.BRANCH, path=child_path(vp, b)))
    Unit.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _plan(qs) -> str:
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(r[-1]) for r in cur.fetchall())
        cur.execute("ANALYZE core_unit")
        cur.execute(f"EXPLAIN {sql}", params)
        return " ".join(r[0] for r in cur.fetchall())


def test_subtree_at_100000_units_uses_the_path_index(db):
    assert _build() >= 100_000
    township = Unit.objects.get(code="T7")
    qs = Unit.objects.subtree(township)
    assert qs.count() == 1 + 50 + 50 * 99
    village = Unit.objects.get(code="T7V3")
    assert Unit.objects.subtree(village).count() == 100
    plan = _plan(Unit.objects.subtree(village).values("id"))
    if connection.vendor == "sqlite":
        assert "SEARCH core_unit USING" in plan and "INDEX" in plan and "path>?" in plan, plan
    else:
        assert "Index" in plan and "Seq Scan" not in plan, plan
