"""Who may see which page or document: the one visibility rule every view, listing, feed, sitemap and search uses.

A page is visible when it is live, not past its expiry, not below a page that is not (a draft, unpublished or
expired page takes its whole branch off the site), and either public (with no Wagtail view restriction),
or internal and the reader is a logged-in user of its unit: someone with a role at that unit or below it, or
whose scope covers it (a role above it). Classified content is never stored, so it needs no rule here.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from wagtail.models import Page
from wagtail.query import PageQuerySet

from dangjian.core.models import PATH_STEP, Unit
from dangjian.core.permissions import scope_for
from dangjian.publicity import serving
from dangjian.publicity.models import (
    ArticlePage,
    BodyPage,
    Classification,
    ColumnPage,
    NoticePage,
    PublicityDocument,
    PublicityPage,
)

#: First path segments the portal, the apps and the admins use: a column directly under the home cannot take them.
RESERVED_SLUGS = frozenset(
    {
        "accounts", "supervision", "education", "publicity", "work", "data", "api", "i18n", "jsi18n", "admin",
        "cms", "documents", "search", "m", "care", "language", "static", "media", "sitemap.xml", "robots.txt",
    }
)  # fmt: skip


def _role_paths(user) -> tuple[bool, tuple[str, ...]]:
    scope = scope_for(user)
    return scope.unrestricted, scope.paths()


def in_unit(user, unit: Unit | None) -> bool:
    """True when the user is of the unit: a role at it, below it, or above it (their scope covers it)."""
    if unit is None or not getattr(user, "is_authenticated", False):
        return False
    unrestricted, paths = _role_paths(user)
    return unrestricted or any(p.startswith(unit.path) or unit.path.startswith(p) for p in paths)


def unit_q(user, field: str = "unit") -> Q:
    """The rows whose unit the user is of (see `in_unit`), as one condition on indexed paths."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    unrestricted, paths = _role_paths(user)
    if unrestricted:
        return Q()
    if not paths:
        return Q(pk__in=[])
    ancestors = {p[:i] for p in paths for i in range(PATH_STEP, len(p) + 1, PATH_STEP)}
    condition = Q(**{f"{field}__path__in": sorted(ancestors)})
    for p in paths:
        condition |= Q(**{f"{field}__path__descendant_of": p})
    return condition


def _withdrawn(now) -> Q:
    """Pages that are not on the site now: drafts, unpublished or expired pages (live or not, Wagtail lets a
    page stay live under a withdrawn parent)."""
    return Q(live=False) | Q(expire_at__lte=now)


def _withdrawn_branches(now) -> list[str]:
    """The paths of withdrawn pages that have pages below them: nothing below a withdrawn page is on the site,
    or its URL, breadcrumbs and listings would show the withdrawn page's slug and title."""
    return serving.tree().withdrawn_branches(now)


def visible_pages(user, model: type[PublicityPage] = PublicityPage) -> PageQuerySet:
    """Pages of `model` the user may read now: live, unexpired, public or internal within their units."""
    now = timezone.now()
    qs = model.objects.live().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=now))
    for path in _withdrawn_branches(now):
        qs = qs.exclude(path__startswith=path)
    public = Q(classification=Classification.PUBLIC)
    for path in serving.tree().restricted:
        public &= ~Q(path__startswith=path)
    internal = Q(classification=Classification.INTERNAL) & unit_q(user)
    return qs.filter(public | internal)


def public_pages(model: type[PublicityPage] = PublicityPage) -> QuerySet:
    """What an anonymous visitor may read: the set feeds, the sitemap and the cache are built from."""
    from django.contrib.auth.models import AnonymousUser

    return visible_pages(AnonymousUser(), model)


def can_view(user, page: Page) -> bool:
    page = page.specific
    if not isinstance(page, PublicityPage):
        return False
    now = timezone.now()
    if not page.live or (page.expire_at is not None and page.expire_at <= now):
        return False
    if serving.tree().withdrawn_above(page.path, now):
        return False  # under a draft, unpublished or expired page: not on the site
    if page.classification == Classification.PUBLIC:
        return not serving.has_view_restrictions(page)
    return page.classification == Classification.INTERNAL and in_unit(user, page.unit)


def can_view_document(user, document: PublicityDocument) -> bool:
    if document.classification == Classification.PUBLIC:
        return True
    return document.classification == Classification.INTERNAL and in_unit(user, document.unit)


def visible_documents(user) -> QuerySet:
    return PublicityDocument.objects.filter(
        Q(classification=Classification.PUBLIC) | (Q(classification=Classification.INTERNAL) & unit_q(user))
    )


def visible_attached_documents(user) -> QuerySet:
    """Documents the user may see that are attached to a page they may see: what search finds inside (a document
    of a draft or an internal page stays out of the results even when the document itself is public)."""
    # Per document, its pages tested by key (EXISTS), not every visible page of the site listed first.
    attached = visible_pages(user).filter(attachments__document_id=OuterRef("pk"))
    return visible_documents(user).filter(Exists(attached))


def column_items(
    user, column: ColumnPage, *, model: type[PublicityPage] = BodyPage, direct: bool = False
) -> PageQuerySet:
    """The visible pages under a column, newest first (all depths, or only its children)."""
    qs = visible_pages(user, model)
    qs = qs.child_of(column) if direct else qs.descendant_of(column)
    return qs.order_by("-first_published_at", "-pk")


def latest(user, model: type[PublicityPage] = ArticlePage, limit: int = 8) -> QuerySet:
    return visible_pages(user, model).order_by("-first_published_at", "-pk")[:limit]


def open_notices(user) -> QuerySet:
    today = timezone.localdate()
    return visible_pages(user, NoticePage).filter(period_start__lte=today, period_end__gte=today, closed=False)
