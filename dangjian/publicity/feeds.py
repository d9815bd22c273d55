"""RSS 2.0 and Atom 1.0 feeds per column: public pages only, whoever asks (feeds are read by machines, anonymously)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator

from dangjian.publicity.models import BodyPage, ColumnPage
from dangjian.publicity.queries import public_pages

FEED_SIZE = 30


class ColumnFeed(Feed):
    def get_object(self, request, pk: int):
        column = public_pages(ColumnPage).filter(pk=pk).first()
        if column is None:
            raise Http404
        self.request = request
        return column

    def title(self, column):
        return column.title

    def link(self, column):
        return column.url

    def description(self, column):
        return strip_tags(column.intro) or column.title

    def items(self, column):
        return public_pages(BodyPage).descendant_of(column).order_by("-first_published_at", "-pk")[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary or Truncator(strip_tags(item.body)).chars(200)

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return item.first_published_at

    def item_updateddate(self, item):
        return item.last_published_at


class ColumnAtomFeed(ColumnFeed):
    feed_type = Atom1Feed
    subtitle = ColumnFeed.description
