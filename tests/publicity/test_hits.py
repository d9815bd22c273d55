"""Hit statistics: per page per day, no personal data, buffered and written in bulk; figures for the stats app."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.publicity import hits
from dangjian.publicity.models import Classification, PageHit
from dangjian.stats import registry
from tests.publicity.conftest import add_page


@pytest.fixture(autouse=True)
def _empty_buffer(db):
    hits.flush()
    yield
    hits.flush()


def test_serving_a_page_counts_a_hit_without_writing_to_the_database(article, client):
    with CaptureQueriesContext(connection) as writes:
        for _ in range(3):
            assert client.get(article.url).status_code == 200
    assert not any("publicity_pagehit" in q["sql"] for q in writes.captured_queries)
    assert hits.pending() == 3
    assert hits.flush() == 3
    assert PageHit.objects.get(page=article, day=timezone.localdate()).count == 3


def test_flushes_add_up_per_page_and_day(article):
    day = date(2026, 11, 2)
    hits.count(article.pk, day)
    hits.flush()
    for _ in range(5):
        hits.count(article.pk, day)
    with CaptureQueriesContext(connection) as queries:
        hits.flush()
    assert PageHit.objects.get(page=article, day=day).count == 6
    assert len([q for q in queries.captured_queries if "publicity_pagehit" in q["sql"]]) == 1  # one UPDATE
    assert hits.flush() == 0


def test_a_hit_row_holds_no_personal_data():
    assert {f.name for f in PageHit._meta.get_fields()} == {"id", "page", "day", "count"}


def test_pages_refused_to_the_visitor_count_no_hit(site, client):
    internal = add_page(site["news"], title="内部", classification=Classification.INTERNAL, unit=site["tree"]["t1"])
    assert client.get(internal.url).status_code == 404
    assert hits.pending() == 0


def test_the_public_figures_count_hits_and_name_only_public_pages(site, article):
    internal = add_page(
        site["news"], title="内部工作安排", classification=Classification.INTERNAL, unit=site["tree"]["t1"]
    )
    day = date(2026, 11, 2)
    for page, n in ((article, 7), (internal, 3)):
        for _ in range(n):
            hits.count(page.pk, day)
    hits.flush()
    period = registry.Period(date(2026, 11, 1), date(2026, 11, 30), "day")
    per_day = registry.get("publicity.hits").compute(period, None)
    assert per_day.values[next(iter(per_day.values))][1] == 7  # the public page's hits only
    top = registry.get("publicity.top_pages").compute(period, None)
    assert top.labels == [article.title] and internal.title not in top.labels
