"""Fixtures of the public site: a Wagtail site whose root is the publicity home, with a news column."""

from __future__ import annotations

import pytest
from wagtail.models import Page, Site

from dangjian.publicity.models import ArticlePage, Classification, ColumnPage, HomePage


def add_page(parent: Page, cls=ArticlePage, *, publish: bool = True, user=None, **fields) -> Page:
    """A page built through Wagtail's own API: added under `parent`, a revision saved, published if asked."""
    fields.setdefault("slug", f"p{Page.objects.count() + 1}")
    if cls is not HomePage and cls is not ColumnPage:
        fields.setdefault("body", f"<p>{fields.get('title', '')}</p>")
    page = cls(live=False, **fields)  # as Wagtail's admin creates it: a draft until published
    parent.add_child(instance=page)
    revision = page.save_revision(user=user)
    if publish:
        revision.publish(user=user)
        page.refresh_from_db()
    return page


@pytest.fixture
def site(tree):
    root = Page.get_first_root_node()
    home = add_page(root, HomePage, title="会昌党务公开网", slug="gk-home")
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "会昌"}
    )
    news = add_page(home, ColumnPage, title="基层党建", slug="jcdj")
    return {"home": home, "news": news, "tree": tree}


@pytest.fixture
def article(site):
    return add_page(site["news"], title="会昌县召开基层党建工作推进会", classification=Classification.PUBLIC)


@pytest.fixture(autouse=True)
def _empty_page_cache():
    """Each test starts with an empty anonymous page cache and rereads the generation (another test's rolled-back
    pages must not be answered from it)."""
    from django.core.cache import caches

    from dangjian.publicity import pagecache

    caches[pagecache.CACHE_ALIAS].clear()
    pagecache.forget()
    yield
    caches[pagecache.CACHE_ALIAS].clear()
    pagecache.forget()
