"""The public site's pages (articles, knowledge base, 政务公开, notices) as a source of the one search box."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dangjian.publicity.models import BodyPage
from dangjian.publicity.queries import visible_pages
from dangjian.search.registry import Source, register

SOURCE = register(
    Source(
        key="publicity.page",
        label=_("Public site"),
        visible=lambda user: visible_pages(user, BodyPage),
        url=lambda page: page.url,
        title=lambda page: page.title,
        text=lambda page: page.text_for_search(),
        date=lambda page: page.first_published_at,
    )
)
