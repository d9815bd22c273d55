"""How the search's statements are planned on PostgreSQL: no JIT compilation, random reads costed as for memory or
solid-state storage, and a GIN index over an entry's title and body together (dangjian/search/backends.py)."""

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


def test_the_sessions_plan_without_jit_and_with_cheap_random_reads(postgresql):
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == pytest.approx(1.1)


def test_a_rare_word_is_read_from_the_text_index(postgresql, site):
    for n in range(200):
        add_page(site["news"], title=f"工作简报第{n}期", body="<p>全县各项工作有序推进。</p>")
    rare = add_page(site["news"], title="油茶低产林改造现场会", body="<p>油茶</p>")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE wagtailsearch_indexentry")
        cursor.execute(
            "EXPLAIN SELECT id FROM wagtailsearch_indexentry WHERE (title || body) @@ to_tsquery('simple', '油茶') "
            "ORDER BY id DESC LIMIT 600"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "dangjian_search_entry_text_gin" in plan, plan
    assert [h.obj.pk for h in search(AnonymousUser(), "油茶")] == [rare.pk]
