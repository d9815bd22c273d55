"""Serving a page of the public site without asking the database again what it answered a moment ago.

The site of a host, the page a path routes to, the page itself, its breadcrumbs, which pages carry attachments,
and the facts of the tree the visibility rule needs (withdrawn branches, view restrictions, aliases) change only
when the page cache's generation changes (a publish, a save, a move, a restriction: `pagecache.bump`). They are
therefore derived once per generation and kept in the process (`pagecache.derived`), and a page is rendered from
them: for a visitor without a session and for a logged-in reader alike, since none of them depends on who asks
(the visibility rule is still applied to the reader on every request, `queries.can_view`). A change made by another
process is seen when this process rereads the token, within DANGJIAN_PAGE_CACHE_CHECK_SECONDS, as for stored pages.

Routing by path alone holds because no page type of the site overrides `Page.route` (none is routable); the first
render under a new generation routes through the pages' `url_path` (`_route`) and reads the tree's facts in one
union (`_read_tree`), five queries in all with the generation's token and the site.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.db.models import BooleanField, DateTimeField, F, Model, Q, Value
from django.http import HttpRequest
from django.http.request import split_domain_port
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult

from dangjian.publicity import pagecache

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Tree:
    """What the visibility rule needs to know of the whole tree (small: a few rows on any real site)."""

    #: (path, live, expire_at) of pages that have pages below them and are, or will be at expire_at, off the site.
    withdrawable: tuple[tuple[str, bool, datetime | None], ...]
    #: Paths of pages with a Wagtail view restriction.
    restricted: tuple[str, ...]
    #: Paths of alias pages (Wagtail checks an alias's restrictions on the page it is an alias of).
    aliases: tuple[str, ...]
    #: Paths of pages that carry attachments.
    attached: frozenset[str]

    def withdrawn_branches(self, now: datetime) -> list[str]:
        return [p for p, live, expire_at in self.withdrawable if not live or (expire_at and expire_at <= now)]

    def withdrawn_above(self, path: str, now: datetime) -> bool:
        return any(path.startswith(p) and path != p for p in self.withdrawn_branches(now))

    def restricted_at_or_above(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.restricted)

    def alias_at_or_above(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.aliases)


_WITHDRAWABLE, _RESTRICTED, _ALIAS, _ATTACHED = range(4)


def _read_tree() -> Tree:
    """The tree's facts in one query: four kinds of rows (fact, path, live, expire_at) in a union."""
    from dangjian.publicity.models import PageAttachment, PublicityPage

    def rows(queryset, fact: int, path: str, live=None, expire_at=None):
        named = {
            "fact": Value(fact),
            "fact_path": F(path),
            "fact_live": live or F("live"),
            "fact_expire_at": expire_at or F("expire_at"),
        }
        return queryset.order_by().annotate(**named).values_list(*named)

    none_at, true = Value(None, output_field=DateTimeField()), Value(True, output_field=BooleanField())
    withdrawable = PublicityPage.objects.filter(Q(live=False) | Q(expire_at__isnull=False), numchild__gt=0)
    found = rows(withdrawable, _WITHDRAWABLE, "path").union(
        rows(PageViewRestriction.objects.all(), _RESTRICTED, "page__path", true, none_at),
        rows(Page.objects.filter(alias_of__isnull=False), _ALIAS, "path", true, none_at),
        rows(PageAttachment.objects.all(), _ATTACHED, "page__path", true, none_at),
        all=True,
    )
    by_kind: dict[int, list[tuple[str, bool, datetime | None]]] = {k: [] for k in range(4)}
    for fact, path, live, expire_at in found:
        by_kind[fact].append((path, live, expire_at))
    return Tree(
        withdrawable=tuple(sorted(by_kind[_WITHDRAWABLE])),
        restricted=tuple(sorted(p for p, _l, _e in by_kind[_RESTRICTED])),
        aliases=tuple(sorted(p for p, _l, _e in by_kind[_ALIAS])),
        attached=frozenset(p for p, _l, _e in by_kind[_ATTACHED]),
    )


def tree() -> Tree:
    return pagecache.derived(("tree",), _read_tree)


def has_view_restrictions(page: Page) -> bool:
    """Whether a Wagtail view restriction applies to the page (on it or above it)."""
    facts = tree()
    if facts.alias_at_or_above(page.path):
        return page.get_view_restrictions().exists()  # resolved through the alias's source, as Wagtail does
    return facts.restricted_at_or_above(page.path)


def site_for(request: HttpRequest) -> Site | None:
    """Wagtail's site for the request's host and port (`Site.find_for_request`), found once per generation."""
    # The raw host, as Wagtail's own `_find_for_request` reads it: CommonMiddleware has checked it against
    # ALLOWED_HOSTS already, and `get_host` would check it again.
    hostname = split_domain_port(request._get_raw_host())[0]  # type: ignore[attr-defined]
    key = ("site", hostname, request.get_port())
    site = pagecache.derived(key, lambda: Site._find_for_request(request))
    return _own(site) if site is not None else None


def _own(instance: M) -> M:
    """This request's own copy of a kept instance (what `copy.copy` of a model gives, without the pickling
    protocol): nothing one request caches on it, a related object or an attribute, reaches another."""
    clone = object.__new__(type(instance))
    clone.__dict__ = instance.__dict__.copy()
    clone._state = copy.copy(instance._state)
    clone._state.fields_cache = instance._state.fields_cache.copy()
    return clone


def _route(request: HttpRequest, site: Site, path: str) -> tuple[type[Page], int, tuple, dict] | None:
    """Wagtail's `Page.route` from the site's root (a child by slug at each step, the last one live), in one query
    for the pages along the path (their `url_path`, which Wagtail keeps as the slugs from the root) and one for the
    page's own fields; the pages between, already read, give the breadcrumbs."""
    components = [component for component in path.split("/") if component]
    root = site.root_page.localized
    wanted = [root.url_path + "".join(f"{c}/" for c in components[:n]) for n in range(1, len(components) + 1)]
    chain = {
        p.url_path: p
        for p in Page.objects.filter(
            path__startswith=root.path, depth__lte=root.depth + len(components), url_path__in=wanted
        ).order_by("depth")
    }
    if len(chain) != len(wanted):
        return None
    found = chain[wanted[-1]] if wanted else root
    if not found.live:
        return None
    page = found.specific
    pagecache.derived(("page", page.pk), lambda: page)
    if root.depth == 2 and components:  # the breadcrumbs' pages: those between the home (depth 2) and the page
        crumbs = [(p.title, p.get_url(request)) for p in (chain[w] for w in wanted[:-1])]
        pagecache.derived(_breadcrumbs_key(site, page), lambda: crumbs)
    return type(page), page.pk, (), {}


def route(request: HttpRequest, site: Site | None, path: str) -> RouteResult | None:
    """What Wagtail's `Page.route_for_request` answers, from the routes and pages of this generation."""
    if site is None:
        return None
    found = pagecache.derived(("route", site.pk, path), lambda: _route(request, site, path))
    if found is None:
        return None
    model, pk, args, kwargs = found
    page = _own(pagecache.derived(("page", pk), lambda: model.objects.get(pk=pk)))
    facts = tree()
    if not facts.alias_at_or_above(page.path) and not facts.restricted_at_or_above(page.path):
        page._no_view_restrictions = True  # PublicityPage.get_view_restrictions: none, without a query
    return RouteResult(page, list(args), kwargs)


def prepare(request: HttpRequest, path: str) -> None:
    """Give Wagtail's `serve` view the site and route of the request (it looks for them on the request first)."""
    if not hasattr(request, "_wagtail_route_for_request"):
        site = site_for(request)
        setattr(request, "_wagtail_site", site)  # noqa: B010  (Wagtail's attributes, not HttpRequest's)
        setattr(request, "_wagtail_route_for_request", route(request, site, path))  # noqa: B010


def _breadcrumbs_key(site: Site | None, page: Page) -> tuple:
    return ("breadcrumbs", site.pk if site else None, page.path[: -Page.steplen])


def breadcrumbs(request: HttpRequest, page: Page) -> list[tuple[str, str | None]]:
    """(title, url) of the page's ancestors below the home page, the links of the breadcrumb trail."""

    def read() -> list[tuple[str, str | None]]:
        return [(a.title, a.get_url(request)) for a in page.get_ancestors()[2:]]

    return pagecache.derived(_breadcrumbs_key(Site.find_for_request(request), page), read)


def has_attachments(page: Page) -> bool:
    return page.path in tree().attached
