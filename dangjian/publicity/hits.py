"""Hit statistics of the public site: per page per day, without cookies or personal data, and without slowing the
page: a hit is one increment of an in-memory counter; the counters are written in bulk every few seconds.

Each web process keeps its own buffer and writes it when it is older than FLUSH_SECONDS or holds FLUSH_SIZE hits,
and when the process exits; a crash loses at most those seconds of counts (a statistic, not a record).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

FLUSH_SECONDS = 10.0
FLUSH_SIZE = 1000

_lock = threading.Lock()
_buffer: Counter[tuple[int, date]] = Counter()
_since = time.monotonic()


def count(page_id: int, day: date | None = None) -> None:
    """One serve of a page; cheap enough for every request."""
    global _since
    key = (page_id, day or timezone.localdate())
    with _lock:
        if not _buffer:
            _since = time.monotonic()
        _buffer[key] += 1
        due = sum(_buffer.values()) >= FLUSH_SIZE or time.monotonic() - _since >= FLUSH_SECONDS
    if due:
        flush()


def discard() -> None:
    """Forget the buffered counts without writing them (tests, between cases: a case's pages die with it)."""
    with _lock:
        _buffer.clear()


def pending() -> int:
    with _lock:
        return sum(_buffer.values())


def flush() -> int:
    """Write the buffered counts: one UPDATE per page and day (an INSERT for the first hit of a day). Returns how
    many hits were written. Concurrent flushes from other processes add up; nothing is counted twice."""
    from dangjian.publicity.models import PageHit, PublicityPage

    with _lock:
        batch = dict(_buffer)
        _buffer.clear()
    if not batch:
        return 0
    existing = set(PublicityPage.objects.filter(pk__in={p for p, _d in batch}).values_list("pk", flat=True))
    written = 0
    with transaction.atomic():
        for (page_id, day), n in sorted(batch.items()):
            if page_id not in existing:
                continue  # the page was deleted meanwhile
            rows = PageHit.objects.filter(page_id=page_id, day=day)
            if not rows.update(count=F("count") + n):
                try:
                    with transaction.atomic():
                        PageHit.objects.create(page_id=page_id, day=day, count=n)
                except IntegrityError:  # another process wrote the day's first row in between
                    rows.update(count=F("count") + n)
            written += n
    return written


def _flush_at_exit() -> None:
    try:
        flush()
    except Exception:  # the database may be gone at interpreter exit; the counts are only statistics
        logging.getLogger(__name__).warning("hit counts lost at exit", exc_info=True)


atexit.register(_flush_at_exit)
