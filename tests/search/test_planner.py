"""How the search's statements are planned on PostgreSQL: no JIT compilation, and a GIN index over an entry's title
and body together (dangjian/search/backends.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from dangjian.search.queries import search
from tests.search.conftest import add_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the planner's settings and the text index are PostgreSQL's; SQLite's FTS5 needs neither")


def test_the_sessions_plan_without_jit(postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_text_index_serves_the_searchs_match(postgresql, site):
    for n in range(200):
        add_page(site["news"], title=f"工作简报第{n}期", body="<p>全县各项工作有序推进。</p>")
    rare = add_page(site["news"], title="油茶低产林改造现场会", body="<p>油茶</p>")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wagtailsearch_indexentry")
        # A table this small is read whole (or along its key) whatever its other indexes; what is tested is that the
        # text index serves the expression the search matches (at 100,000 entries the planner takes it for a rare
        # word by itself: docs/benchmarks.md, sixth session).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM wagtailsearch_indexentry WHERE (title || body) @@ to_tsquery('simple', '油茶') "
            "ORDER BY id DESC LIMIT 600"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "dangjian_search_entry_text_gin" in plan, plan
    assert [h.obj.pk for h in search(AnonymousUser(), "油茶")] == [rare.pk]
