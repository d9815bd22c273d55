"""The one search box: every registered source's visible objects matching a query, with highlighted snippets.

Each source is searched through its `visible(user)` queryset, so a result is never something its own page would
refuse the visitor. Sources are searched with the same jieba-segmented backend (dangjian.search.backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

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


@dataclass
class Hit:
    """One result; its link, title and snippet are worked out only when shown (a page of 20, not every match)."""

    source: Source
    obj: object
    date: date | None
    score: float
    words: tuple[str, ...]

    @cached_property
    def url(self) -> str:
        return self.source.url(self.obj)

    @cached_property
    def title(self) -> str:
        return self.source.title(self.obj)

    @cached_property
    def snippet(self) -> SafeString:
        return highlight(self.source.text(self.obj), self.words)


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


def search(user, query: str, *, kind: str = "", since: date | None = None, until: date | None = None) -> list[Hit]:
    """Everything the user may see that matches all words of the query, best first, from every source (or `kind`)."""
    query = query.strip()[:MAX_QUERY]
    words = query_words(query)
    if not words:
        return []
    backend = get_search_backend()
    hits: list[Hit] = []
    for source in sources():
        if kind and source.key != kind:
            continue
        results = backend.search(query, source.visible(user), operator="and").annotate_score("_score")
        for obj in results[:PER_SOURCE]:
            when = _as_date(source.date(obj)) if source.date else None
            if (since and (when is None or when < since)) or (until and (when is None or when > until)):
                continue
            hits.append(Hit(source, obj, when, float(getattr(obj, "_score", 0) or 0), words))
    hits.sort(key=lambda h: (-h.score, -(h.date.toordinal() if h.date else 0)))
    return hits
