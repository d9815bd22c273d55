"""The window paginator counts only a window beyond the page asked for, and page links keep a list's filters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from dangjian.core.models import User
from dangjian.core.paging import WindowPaginator


@pytest.fixture
def hundred_users(db):
    User.objects.bulk_create([User(username=f"paging-{i:03}") for i in range(100)])
    return User.objects.filter(username__startswith="paging-").order_by("username")


def test_counts_a_window_beyond_the_page_not_the_whole_list(hundred_users):
    page = WindowPaginator(hundred_users, 10, ahead=2).get_page(1)
    assert page.paginator.num_pages == 3
    assert page.paginator.has_more
    assert page.has_next()
    assert [u.username for u in page.object_list] == [f"paging-{i:03}" for i in range(10)]


def test_the_window_moves_with_the_page_asked_for(hundred_users):
    page = WindowPaginator(hundred_users, 10, ahead=2).get_page(5)
    assert page.number == 5
    assert page.paginator.num_pages == 7
    assert page.paginator.has_more
    assert page.object_list[0].username == "paging-040"


def test_exact_figures_once_the_end_lies_in_the_window(hundred_users):
    paginator = WindowPaginator(hundred_users, 10, ahead=2)
    page = paginator.get_page(9)
    assert (paginator.count, paginator.num_pages, paginator.has_more) == (100, 10, False)
    assert page.has_next() and not paginator.get_page(10).has_next()


@pytest.mark.parametrize("asked", ["999", "abc", "", None, "-3"])
def test_out_of_range_or_bad_numbers_give_a_real_page(hundred_users, asked):
    page = WindowPaginator(hundred_users, 10, ahead=2).get_page(asked)
    assert page.object_list, asked
    if asked == "999":
        assert page.number == 10  # the last page: the whole list fits in the window around page 999
    else:
        assert page.number == 1


def test_the_count_is_limited_and_unordered(hundred_users):
    with CaptureQueriesContext(connection) as queries:
        WindowPaginator(hundred_users, 10, ahead=2).get_page(1)
    count = next(q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper())
    assert "LIMIT 31" in count.upper()
    assert "ORDER BY" not in count.upper()


def test_lists_work_as_well_as_querysets():
    paginator = WindowPaginator(list(range(95)), 10, ahead=1)
    assert paginator.get_page(1).paginator.num_pages == 2 and paginator.has_more
    paginator = WindowPaginator(list(range(95)), 10, ahead=20)
    assert paginator.get_page(1).paginator.num_pages == 10 and not paginator.has_more


def test_page_links_keep_the_other_parameters(hundred_users):
    request = RequestFactory().get("/work/supervision/", {"q": "late", "page": "2", "term": "道路 维修"})
    page = WindowPaginator(hundred_users, 10, ahead=2).get_page(2)
    html = render_to_string("portal/pagination.html", {"page": page, "request": request})
    assert 'href="?q=late&amp;page=1&amp;term=%E9%81%93%E8%B7%AF+%E7%BB%B4%E4%BF%AE" rel="prev"' in html
    assert 'href="?q=late&amp;page=3&amp;term=%E9%81%93%E8%B7%AF+%E7%BB%B4%E4%BF%AE" rel="next"' in html
    assert "4" in html and ("or more" in html or "以上" in html)
