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
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.db import IntegrityError, transaction
from django.db.models import Min, Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move
from wagtail.views import serve as wagtail_serve

from dangjian.portal.context import CARE_COOKIE

#: Longest life of an entry, in seconds (a change ends it sooner).
MAX_AGE = 3600
CACHE_ALIAS = "pages"
#: Longest life of a page in a process's near tier, in seconds (its key goes with the generation before that).
NEAR_SECONDS = 5.0
HEADER = "X-Page-Cache"
_MARK = "_dangjian_cacheable_page"
_LISTING = 0  # the mark of a listing: storable, and no page's hit to count
#: Cookies that make a visitor someone the page may be personal to: a session (a login, a message) or messages.
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
T = TypeVar("T")


def _excluded_segments() -> frozenset[str]:
    """First path segments of the other apps (a page of the site never starts with one): not looked up."""
    from dangjian.publicity.queries import RESERVED_SLUGS

    return RESERVED_SLUGS - {"publicity", "sitemap.xml"}


@dataclass(frozen=True)
class Entry:
    page_id: int | None  # the page whose hit a stored answer counts; None for a listing (notices, sitemap)
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


# --- the generation and what one process keeps under it ----------------------------------------------------


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


class ProcessState:
    """What one process keeps in its own memory, all of it valid for one generation only:

    - the token as last read (reread at most once every DANGJIAN_PAGE_CACHE_CHECK_SECONDS, at once after a change
      this process made);
    - values derived from the page tree (`derived`: a route, a page, the withdrawn branches; bounded, dropped
      whole when the token changes), so that rendering a page does not ask the database what it asked a moment ago;
    - a near tier of stored pages in front of a shared cache that is not in this process (Redis): bounded, each
      entry kept NEAR_SECONDS at most. Its keys hold the token like the shared cache's, so a change another process
      makes reaches it as fast as it reaches the shared cache: when this process rereads the token.
    """

    def __init__(self, *, derived_size: int = 4096, near_size: int = 256) -> None:
        self._lock = threading.Lock()
        self._known: tuple[str, float] | None = None  # (token, monotonic time read)
        self._derived: OrderedDict[tuple, object] = OrderedDict()
        self._derived_token: str | None = None
        self._derived_size = derived_size
        self._near: OrderedDict[str, tuple[float, Entry]] = OrderedDict()
        self._near_size = near_size

    def generation(self) -> str:
        known = self._known
        if known is not None and time.monotonic() - known[1] < settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS:
            return known[0]
        token = _read_token()
        with self._lock:
            self._known = (token, time.monotonic())
        return token

    def forget(self) -> None:
        with self._lock:
            self._known = None
            self._derived.clear()
            self._derived_token = None
            self._near.clear()

    def derived(self, key: tuple, compute: Callable[[], T]) -> T:
        """The value of `compute()` for `key` under the current generation, computed once per generation."""
        token = self.generation()
        with self._lock:
            if self._derived_token != token:
                self._derived.clear()
                self._derived_token = token
            elif key in self._derived:
                self._derived.move_to_end(key)
                return self._derived[key]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if self._derived_token == token:  # not when the generation changed meanwhile
                self._derived[key] = value
                while len(self._derived) > self._derived_size:
                    self._derived.popitem(last=False)
        return value

    def lookup(self, cache, key: str) -> Entry | None:
        """A stored page: from the near tier, else from the shared cache (and then kept near)."""
        near = _near_tier_wanted(cache)
        if near:
            with self._lock:
                found = self._near.get(key)
                if found is not None and found[0] > time.monotonic():
                    self._near.move_to_end(key)
                    return found[1]
        entry = cache.get(key)
        if not isinstance(entry, Entry):
            return None
        if near:
            self._keep_near(key, entry)
        return entry

    def store(self, cache, key: str, entry: Entry, seconds: int) -> None:
        cache.set(key, entry, seconds)
        if _near_tier_wanted(cache):
            self._keep_near(key, entry)

    def _keep_near(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._near[key] = (time.monotonic() + NEAR_SECONDS, entry)
            self._near.move_to_end(key)
            while len(self._near) > self._near_size:
                self._near.popitem(last=False)


def _near_tier_wanted(cache) -> bool:
    # A local-memory cache is this process's memory already: a tier in front of it would only copy it.
    return NEAR_SECONDS > 0 and not isinstance(cache, LocMemCache)


#: This process's state.
process = ProcessState()


def generation() -> str:
    return process.generation()


def derived(key: tuple, compute: Callable[[], T]) -> T:
    return process.derived(key, compute)


def forget() -> None:
    """Reread the token on the next request and drop what was derived under it (after a change, between tests)."""
    process.forget()


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
_WATCHED: tuple[type[Model], ...] = (Page, PageViewRestriction, Site)


def watched_models() -> list[type[Model]]:
    """The installed models whose saves and deletes make stored pages stale: the watched ones and their
    subclasses (Django sends a save's signals with the instance's own class as sender)."""
    from dangjian.publicity.models import PublicityDocument
    from dangjian.supervision.models import Bulletin  # the published ones are listed with the notices

    watched = (*_WATCHED, PublicityDocument, Bulletin)
    return [model for model in apps.get_models() if issubclass(model, watched)]


def _on_model_change(sender, **kwargs) -> None:
    bump()


def connect() -> None:
    """Cache invalidation listens to signals, unlike side effects (which actions do): a page changes through
    Wagtail's admin, workflows, the scheduler, moves and deletes, which no action of ours sees. The save and delete
    receivers are connected per watched model, so the saves of every other model (a letter makes five) call
    nothing of the cache's."""
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(bump, dispatch_uid=f"pagecache-{id(signal)}")
    for model in watched_models():
        label = model._meta.label
        post_save.connect(_on_model_change, sender=model, dispatch_uid=f"pagecache-save-{label}")
        post_delete.connect(_on_model_change, sender=model, dispatch_uid=f"pagecache-delete-{label}")


# --- serving ----------------------------------------------------------------------------------------------


def mark(request: HttpRequest, response: HttpResponse, page) -> None:
    """Called by PublicityPage.serve: this answer is the page as any anonymous visitor gets it."""
    from dangjian.publicity.models import Classification

    if not request.user.is_authenticated and page.classification == Classification.PUBLIC:
        setattr(response, _MARK, page.pk)


def mark_listing(request: HttpRequest, response: HttpResponse) -> None:
    """Called by a listing of public pages (the notices, the sitemap): this answer is what any anonymous visitor
    gets, built from `queries.public_pages` or `visible_pages` of the anonymous reader."""
    if not request.user.is_authenticated:
        setattr(response, _MARK, _LISTING)


def key_for(request: HttpRequest) -> str | None:
    """The cache key of this request, or None when it may not be answered from the cache."""
    if request.method != "GET" or request.path.split("/", 2)[1] in _excluded_segments():
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
        from dangjian.publicity import page_urls

        self.get_response = get_response
        self.page_urls = page_urls

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.page_urls.serves(request.path_info):  # a page of the tree: resolved by Wagtail's pattern at once
            request.urlconf = self.page_urls.__name__
        key = key_for(request)
        if key is None:
            return self.get_response(request)
        cache = caches[CACHE_ALIAS]
        entry = process.lookup(cache, key)
        now = timezone.now()
        if entry is not None and entry.until > now.timestamp():
            from dangjian.publicity import hits

            if entry.page_id:
                hits.count(entry.page_id)
            return entry.response()
        response = self.get_response(request)
        if _storable(request, response):
            until = _until(now)
            seconds = int((until - now).total_seconds())
            if seconds > 0:
                headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "set-cookie")
                entry = Entry(getattr(response, _MARK) or None, until.timestamp(), 200, headers, response.content)
                process.store(cache, key, entry, seconds)
                response.headers[HEADER] = "miss"
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        """A page of the tree is routed from what this generation knows already (publicity.serving)."""
        if view_func is wagtail_serve:
            from dangjian.publicity import serving

            serving.prepare(request, view_args[0] if view_args else view_kwargs.get("path", ""))
