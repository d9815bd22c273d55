"""Property: over random trees of pages, states and classifications, no page that is not public and live reaches
an anonymous visitor through its URL, the print view, the home page, column listings, the notices list, the
feeds, the sitemap or search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.publicity.models import ArticlePage, Classification, ColumnPage, NoticePage, PublicityPage
from tests.publicity.conftest import add_page

STATES = ("draft", "live", "expired", "scheduled", "unpublished")
KINDS = (ArticlePage, ColumnPage, NoticePage)

node = st.tuples(
    st.integers(min_value=0, max_value=20),  # parent: index into the pages made so far (0 = the home)
    st.sampled_from(KINDS),
    st.sampled_from(STATES),
    st.sampled_from((Classification.PUBLIC, Classification.INTERNAL)),
)


class Rollback(Exception):
    pass


def _build(site, spec):
    pages = [site["home"]]
    hidden, shown = [], []
    for i, (parent_ix, cls, state, classification) in enumerate(spec):
        parent = pages[parent_ix % len(pages)]
        if not isinstance(parent.specific, (ColumnPage, type(site["home"]))):
            parent = site["news"]
        if cls is not ColumnPage and not isinstance(parent.specific, ColumnPage):
            parent = site["news"]
        token = f"zq{i}x"
        fields = {"title": f"测试页面{token}", "slug": f"s{i}-{state}", "classification": classification}
        if classification == Classification.INTERNAL:
            fields["unit"] = site["tree"]["t1"]
        if cls is NoticePage:
            fields["kind"] = "commendation"
        if state == "scheduled":
            fields["go_live_at"] = timezone.now() + timedelta(days=3)
        try:
            page = add_page(parent, cls, publish=state != "draft", **fields)
        except ValidationError:
            continue  # a public page under an internal one: refused, which is the rule
        if state == "expired":
            page.unpublish(set_expired=True)
        elif state == "unpublished":
            page.unpublish()
        page = PublicityPage.objects.get(pk=page.pk)
        # On the site: live, public, and under no draft, unpublished or expired page (a withdrawn page takes its
        # branch with it, or the branch's URLs and breadcrumbs would show its slug and title).
        on_site = not PublicityPage.objects.ancestor_of(page).filter(live=False).exists()
        visible = page.live and on_site and classification == Classification.PUBLIC
        (shown if visible else hidden).append((token, page))
        if cls is ColumnPage:
            pages.append(page)
    return hidden, shown


def _search(client, token: str) -> str:
    """The search page for a token, queried in upper case: the search folds case, so it finds the page, while the
    query echoed in the search box (ZQ0X) cannot be mistaken for the page's own text (zq0x) in the answer."""
    response = client.get("/search/", {"q": token.upper()})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.slow
@pytest.mark.django_db(transaction=False)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=st.lists(node, min_size=1, max_size=8))
def test_no_page_that_is_not_public_reaches_an_anonymous_visitor(site, spec):
    try:
        with transaction.atomic():
            hidden, shown = _build(site, spec)
            client = Client()
            listings = ["/publicity/", "/publicity/notices/", "/sitemap.xml", site["news"].url]
            for column in PublicityPage.objects.type(ColumnPage).live():
                listings += [column.url, f"/publicity/feeds/{column.pk}/rss/", f"/publicity/feeds/{column.pk}/atom/"]
            bodies = []
            for url in listings:
                response = client.get(url)
                assert response.status_code in (200, 404), url
                bodies.append(response.content.decode())
            for token, page in hidden:
                assert client.get(page.url or f"/{page.url_path}").status_code == 404
                assert client.get(f"{page.url}?print=1").status_code == 404
                assert not any(token in body for body in bodies), (token, page.url)
                assert token not in _search(client, token), (token, page.url)
            for token, page in shown:
                assert client.get(page.url).status_code == 200
                if not isinstance(page.specific, ColumnPage):  # the search covers pages with a body
                    assert token in _search(client, token), (token, page.url)
            raise Rollback
    except Rollback:
        pass
