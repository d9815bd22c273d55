"""The anonymous page cache: whole rendered public pages for visitors without a session, invalidated on publish.

A page is stored only when `PublicityPage.serve` marked its response (a public page served to an anonymous
visitor), the answer is a 200 without Set-Cookie (a page that used a CSRF token sets the cookie, so the open
notice with its objection form is never stored) and nothing in it is private. The key holds the host, path and
query, the language and the 关怀版 cookie, and the site's *generation*: a token replaced on every change that can
alter a public page (publish, unpublish, expiry, move, delete, any page or document save, view restrictions,
sites, notices closed). A change makes every stored page unreachable at once, in every process and on every
node: the token lives in the database, because the default cache is per process (three gunicorn workers and
the task worker, which runs scheduled publishing, would not see each other's local memory). A process rereads
the token at most once every DANGJIAN_PAGE_CACHE_CHECK_SECONDS (1 s) and at once after a change it made itself,
so a cached page is answered without a database query, and another process's change is seen within a second.

Time changes pages too: a notice opens or ends with a day (its period is in whole days, Asia/Shanghai) and a
page disappears at its `expire_at` before the scheduler takes it down. An entry therefore lives until the
earliest of MAX_AGE, the next local midnight and the next expiry of a live page.

Hits are counted before a stored page is answered, as `PublicityPage.serve` counts them when it renders.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import DisallowedHost
from django.db import IntegrityError, transaction
from django.db.models import Min
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from dangjian.portal.context import CARE_COOKIE

#: Longest life of an entry, in seconds (a change ends it sooner).
MAX_AGE = 3600
CACHE_ALIAS = "pages"
HEADER = "X-Page-Cache"
_MARK = "_dangjian_cacheable_page"
#: Cookies that make a visitor someone the page may be personal to: a session (a login, a message) or messages.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")


def _excluded_prefixes() -> tuple[str, ...]:
    from dangjian.publicity.queries import RESERVED_SLUGS

    return tuple(f"/{slug}" for slug in RESERVED_SLUGS - {"publicity"})


@dataclass(frozen=True)
class Entry:
    page_id: int
    until: float  # epoch seconds
    status: int
    headers: tuple[tuple[str, str], ...]
    content: bytes

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response.headers[name] = value
        response.headers[HEADER] = "hit"
        return response


# --- the generation ---------------------------------------------------------------------------------------

_lock = threading.Lock()
_known: tuple[str, float] | None = None  # (token, monotonic time read)


def _read_token() -> str:
    from dangjian.publicity.models import PageCacheGeneration

    token = PageCacheGeneration.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        try:
            with transaction.atomic():
                token = PageCacheGeneration.objects.create(pk=1, token=uuid.uuid4().hex).token
        except IntegrityError:  # another process created it in between
            token = PageCacheGeneration.objects.values_list("token", flat=True).get(pk=1)
    return token


def generation() -> str:
    global _known
    known = _known
    if known is not None and time.monotonic() - known[1] < settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS:
        return known[0]
    token = _read_token()
    with _lock:
        _known = (token, time.monotonic())
    return token


def forget() -> None:
    """Reread the token on the next request (after a change, and between tests)."""
    global _known
    with _lock:
        _known = None


def bump(**_signal_kwargs) -> None:
    """Make every stored page unreachable: a new generation token (a random one, so that a token never comes
    back, not even after a rolled-back transaction)."""
    from dangjian.publicity.models import PageCacheGeneration

    token = uuid.uuid4().hex
    if not PageCacheGeneration.objects.filter(pk=1).update(token=token):
        try:
            with transaction.atomic():
                PageCacheGeneration.objects.create(pk=1, token=token)
        except IntegrityError:
            PageCacheGeneration.objects.filter(pk=1).update(token=token)
    forget()
    transaction.on_commit(forget)


# Every model whose change can show on a public page; saves of pages include drafts (harmless: one re-render).
_WATCHED: tuple[type, ...] = (Page, PageViewRestriction, Site)


def _on_model_change(sender, instance, **kwargs) -> None:
    from dangjian.publicity.models import PublicityDocument

    if isinstance(instance, (*_WATCHED, PublicityDocument)):
        bump()


def connect() -> None:
    """Cache invalidation listens to signals, unlike side effects (which actions do): a page changes through
    Wagtail's admin, workflows, the scheduler, moves and deletes, which no action of ours sees."""
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(bump, dispatch_uid=f"pagecache-{id(signal)}")
    post_save.connect(_on_model_change, dispatch_uid="pagecache-save")
    post_delete.connect(_on_model_change, dispatch_uid="pagecache-delete")


# --- serving ----------------------------------------------------------------------------------------------


def mark(request: HttpRequest, response: HttpResponse, page) -> None:
    """Called by PublicityPage.serve: this answer is the page as any anonymous visitor gets it."""
    from dangjian.publicity.models import Classification

    if not request.user.is_authenticated and page.classification == Classification.PUBLIC:
        setattr(response, _MARK, page.pk)


def key_for(request: HttpRequest) -> str | None:
    """The cache key of this request, or None when it may not be answered from the cache."""
    if request.method != "GET" or request.path.startswith(_excluded_prefixes()):
        return None
    if any(name in request.COOKIES for name in PERSONAL_COOKIES):
        return None
    if "HTTP_AUTHORIZATION" in request.META or "HTTP_HX_REQUEST" in request.META:
        return None
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    care = request.COOKIES.get(CARE_COOKIE) == "1"
    language = translation.get_language_from_request(request)
    where = "\n".join((request.scheme or "", host, request.get_full_path(), language, "care" if care else "standard"))
    return f"page:{generation()}:{hashlib.sha256(where.encode()).hexdigest()}"


def _until(now: datetime) -> datetime:
    """When an entry made now must stop being served: MAX_AGE, the next local midnight (notice periods are whole
    days) or the next expiry of a live page, whichever comes first."""
    midnight = datetime.combine(timezone.localdate(now) + timedelta(days=1), datetime.min.time())
    expiry = Page.objects.filter(live=True, expire_at__gt=now).aggregate(first=Min("expire_at"))["first"]
    times = [now + timedelta(seconds=MAX_AGE), timezone.make_aware(midnight)]
    return min([*times, expiry] if expiry else times)


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        getattr(response, _MARK, None) is not None
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.user.is_authenticated
        and not any(word in cache_control for word in ("private", "no-store", "no-cache"))
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = key_for(request)
        if key is None:
            return self.get_response(request)
        cache = caches[CACHE_ALIAS]
        entry = cache.get(key)
        now = timezone.now()
        if isinstance(entry, Entry) and entry.until > now.timestamp():
            from dangjian.publicity import hits

            hits.count(entry.page_id)
            return entry.response()
        response = self.get_response(request)
        if _storable(request, response):
            until = _until(now)
            seconds = int((until - now).total_seconds())
            if seconds > 0:
                headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "set-cookie")
                entry = Entry(getattr(response, _MARK), until.timestamp(), 200, headers, response.content)
                cache.set(key, entry, seconds)
                response.headers[HEADER] = "miss"
        return response
