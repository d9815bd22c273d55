"""What the one search box searches: each app registers its searchable sources here.

A source's model is `modelsearch.index.Indexed` (with `search_fields`, jieba-segmented by dangjian.search),
and `visible(user)` returns the queryset of its objects that visitor may see (published, public, or within
the user's scope for internal content). The search view searches each source's visible queryset only, so a
result can never show what its page would refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class Source:
    key: str  # e.g. "supervision.letter"
    label: str | Promise  # shown as the result kind, e.g. _("Published letters")
    visible: Callable[[object], QuerySet]  # user (possibly anonymous) -> what they may see
    url: Callable[[Model], str]
    title: Callable[[Model], str]
    text: Callable[[Model], str]  # plain text for the highlighted snippet
    date: str | None = None  # the model's date or date-time field, for the date filter and the result's day


_sources: dict[str, Source] = {}


def register(source: Source) -> Source:
    if source.key in _sources and _sources[source.key] != source:
        raise ValueError(f"search source {source.key!r} registered twice")
    _sources[source.key] = source
    return source


def sources() -> list[Source]:
    return list(_sources.values())
