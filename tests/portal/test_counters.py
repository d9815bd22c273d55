"""Every counter of the four supermarkets leads somewhere: a URL name that resolves, or a column of the page tree."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from dangjian.portal.supermarkets import SUPERMARKETS, Counter
from dangjian.publicity.models import ColumnKind, ColumnPage, HomePage
from tests.publicity.conftest import add_page, site  # noqa: F401  (the public site fixture)

pytestmark = pytest.mark.django_db
NAMED = [c for m in SUPERMARKETS for c in m.counters if isinstance(c.target, str)]


@pytest.mark.parametrize("counter", NAMED, ids=[str(c.target) for c in NAMED])
def test_a_named_counter_resolves(counter):
    name, *args = counter.target.split()
    assert counter.url == reverse(name, args=args)


def test_column_counters_find_their_public_column_and_show_as_coming_without_it(site):  # noqa: F811
    knowledge = next(c for m in SUPERMARKETS for c in m.counters if callable(c.target) and "知识" in str(c.label))
    cache.clear()
    assert knowledge.url == ""
    home = HomePage.objects.get(slug="gk-home")
    column = add_page(home, ColumnPage, title="党建知识库", slug="zsk", kind=ColumnKind.KNOWLEDGE)
    assert knowledge.url == "", "looked up at most once a minute"
    cache.clear()  # a minute later
    assert knowledge.url == column.url and knowledge.url.endswith("/zsk/")
    draft = add_page(home, ColumnPage, title="政务公开", slug="zwgk", kind=ColumnKind.OPEN_GOVERNMENT, publish=False)
    open_gov = next(c for m in SUPERMARKETS for c in m.counters if callable(c.target) and c is not knowledge)
    assert open_gov.url == "", f"a draft column {draft.url_path} must not be offered to the public"


def test_a_counter_whose_name_is_unknown_shows_as_coming():
    assert Counter("x", "nowhere:page").url == ""


def test_the_home_page_links_every_counter(client, site, django_assert_max_num_queries):  # noqa: F811
    client.get("/")
    with django_assert_max_num_queries(2):  # the care-mode cookie is read, not queried; columns come from the cache
        html = client.get("/").content.decode()
    for counter in NAMED:
        assert f'href="{counter.url}"' in html, counter.target
