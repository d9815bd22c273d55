"""The one search box: every registered source's visible objects matching a query, with highlighted snippets.

Each source is searched through its `visible(user)` queryset, so a result is never something its own page would
refuse the visitor. Sources are searched with the same jieba-segmented backend (dangjian.search.backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.db.models import DateTimeField
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from modelsearch.backends import get_search_backend

from dangjian.search.registry import Source, sources
from dangjian.search.text import normalise, query_words

#: How many hits a source contributes at most to one result list (the page shows the first ones; refine the query).
PER_SOURCE = 200
SNIPPET_CHARS = 120
MAX_QUERY = 100


@dataclass(eq=False)
class Hit:
    """One result; its object is read with the results taken (a page of 20, not every match), its link, title and
    snippet when shown."""

    source: Source
    pk: object
    score: float
    words: tuple[str, ...]
    obj: object = None

    @property
    def date(self) -> date | None:
        return _as_date(getattr(self.obj, self.source.date)) if self.source.date and self.obj is not None else None

    @cached_property
    def url(self) -> str:
        return self.source.url(self.obj)

    @cached_property
    def title(self) -> str:
        return self.source.title(self.obj)

    @cached_property
    def snippet(self) -> SafeString:
        return highlight(self.source.text(self.obj), self.words)


class Results(list):
    """The hits of a search, best first. The objects of the hits taken (a slice, as a paginator takes its page, or
    the whole) are read then, one query per source, through the visitor's querysets again; a hit whose object went
    in between is left out of what is taken."""

    def __init__(self, user, hits: list[Hit]):
        super().__init__(hits)
        self.user = user

    def _load(self, hits: list[Hit]) -> list[Hit]:
        wanted: dict[str, list[Hit]] = {}
        for hit in hits:
            if hit.obj is None:
                wanted.setdefault(hit.source.key, []).append(hit)
        for group in wanted.values():
            found = group[0].source.visible(self.user).in_bulk([hit.pk for hit in group])
            for hit in group:
                hit.obj = found.get(hit.pk)
        return [hit for hit in hits if hit.obj is not None]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._load(super().__getitem__(index))
        hit = super().__getitem__(index)
        self._load([hit])
        return hit

    def __iter__(self):
        return iter(self._load(list(super().__iter__())))


def _as_date(value) -> date | None:
    """The day in the county (Asia/Shanghai) of a date or an aware time: a page published at 00:30 in Huichang is
    of that day, not of the UTC day before."""
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value if isinstance(value, date) else None


def highlight(text: str, words: tuple[str, ...], width: int = SNIPPET_CHARS) -> SafeString:
    """An escaped excerpt of `text` around the first query word, every query word inside it in <mark>.

    Matching is on the normalised text (traditional → simplified, full-width → ASCII, lower case), which has the
    same length as the original for the characters normalise() maps one-to-one; otherwise the normalised text
    itself is shown."""
    text = " ".join(text.split())
    folded = normalise(text)
    shown = text if len(folded) == len(text) else folded
    positions = [p for p in (folded.find(w) for w in words if w) if p >= 0]
    start = max(0, min(positions) - width // 4) if positions else 0
    end = min(len(shown), start + width)
    marks = [False] * (end - start)
    for word in words:
        if not word:
            continue
        at = folded.find(word, start)
        while 0 <= at < end:
            for i in range(at, min(at + len(word), end)):
                marks[i - start] = True
            at = folded.find(word, at + len(word))
    out, open_mark = [], False
    for i, ch in enumerate(shown[start:end]):
        if marks[i] != open_mark:
            out.append("<mark>" if marks[i] else "</mark>")
            open_mark = marks[i]
        out.append(escape(ch))
    if open_mark:
        out.append("</mark>")
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(shown) else ""
    return mark_safe(prefix + "".join(out) + suffix)  # noqa: S308  (every character escaped above)


def _dated(queryset, field: str | None, since: date | None, until: date | None):
    """The queryset restricted to the county days from `since` to `until` (Asia/Shanghai for a date-time field: a
    page published at 00:30 in Huichang is of that day, not of the UTC day before)."""
    if not field or not (since or until):
        return queryset
    if not isinstance(queryset.model._meta.get_field(field), DateTimeField):
        bounds = {f"{field}__gte": since, f"{field}__lte": until}
    else:
        zone = timezone.get_current_timezone()
        start = datetime.combine(since, time.min, tzinfo=zone) if since else None
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone) if until else None
        bounds = {f"{field}__gte": start, f"{field}__lt": end}
    return queryset.filter(**{k: v for k, v in bounds.items() if v is not None})


def search(user, query: str, *, kind: str = "", since: date | None = None, until: date | None = None) -> Results:
    """Everything the user may see that matches all words of the query, best first, from every source (or `kind`):
    at most PER_SOURCE per source, ranked in one pass over the index (`backends.POOL`)."""
    query = query.strip()[:MAX_QUERY]
    words = query_words(query)
    wanted = {source.key: source for source in sources() if not kind or source.key == kind}
    if not words or not wanted:
        return Results(user, [])
    querysets = {
        key: _dated(source.visible(user), source.date, since, until)
        for key, source in wanted.items()
        if source.date or not (since or until)  # a source without dates has nothing in a date range
    }
    if not querysets:
        return Results(user, [])
    ranked = get_search_backend().ranked(querysets, query, PER_SOURCE)
    hits = [Hit(wanted[key], pk, score, words) for key, pairs in ranked.items() for pk, score in pairs]
    hits.sort(key=lambda h: -h.score)  # stable: equal scores stay newest first, as the index gave them
    return Results(user, hits)
