"""The four supermarkets as the portal shows them: name, what each offers, and where each counter lives.

A counter names where it leads: a URL name ("supervision:channel secretary": the name, then its arguments) or, for
a page that lives in the editors' page tree, a function that finds it. A counter whose page is not there (an app
switched off, a column not yet created) shows as coming. Each supermarket's app edits only its own entry here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counter:
    label: Promise
    target: str | Callable[[], str] = ""
    staff: bool = False  # a counter for the staff of the units (shown as such; a member's account does not open it)

    @property
    def url(self) -> str:
        if callable(self.target):
            try:
                return self.target()
            except Exception:  # a counter that cannot find its page shows as coming; the home page still renders
                logger.exception("counter %s: no page", self.label)
                return ""
        if not self.target:
            return ""
        name, *args = self.target.split()
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            return ""


COLUMN_SECONDS = 60  # a column published or withdrawn shows on the portal within a minute


def _column(kind: str) -> Callable[[], str]:
    """The public column of that kind in the page tree (政务公开, 党建知识库), looked up at most once a minute: the
    lookup walks the rules of what is public, and the home page must not pay for it on every view."""

    def find() -> str:
        from dangjian.publicity.models import ColumnPage
        from dangjian.publicity.queries import public_pages

        key = f"portal:column:{kind}"
        url = cache.get(key)
        if url is None:
            column = public_pages(ColumnPage).filter(kind=kind).order_by("path").first()
            url = (column.url or "") if column else ""
            cache.set(key, url, COLUMN_SECONDS)
        return url

    return find


@dataclass(frozen=True)
class Supermarket:
    slug: str
    name: Promise
    tagline: Promise
    counters: tuple[Counter, ...]
    icon: str  # SVG path data (24x24, stroked): no emoji font or icon font is needed on old intranet PCs


SUPERMARKETS: tuple[Supermarket, ...] = (
    Supermarket(
        "supervision",
        _("Online Supervision Supermarket"),
        _("Write to the county secretary or the county head, openly or anonymously; every letter gets an answer."),
        (
            Counter(_("Secretary's mailbox"), "supervision:channel secretary"),
            Counter(_("County head's mailbox"), "supervision:channel county-head"),
            Counter(_("People's voice"), "supervision:channel voice"),
            Counter(_("Complaints"), "supervision:channel supervision"),
            Counter(_("Live interviews"), "supervision:interviews"),
            Counter(_("Published replies"), "supervision:letters"),
        ),
        "M3 6h18v12H3z M3 6l9 7 9-7",
    ),
    Supermarket(
        "education",
        _("Online Education Supermarket"),
        _("A library of party history, classics, lectures and policy reports; the Sunday class in every village."),
        (
            Counter(_("Library"), "education:library"),
            Counter(_("Sunday class"), "education_work:index", staff=True),
            Counter(_("Requests"), "education:request"),
            Counter(_("Learning records"), "education:record"),
        ),
        "M4 5h7a1 1 0 0 1 1 1v13a1 1 0 0 0-1-1H4z M20 5h-7a1 1 0 0 0-1 1v13a1 1 0 0 1 1-1h7z",
    ),
    Supermarket(
        "services",
        _("Online Services Supermarket"),
        _("Member, cadre and talent records, party dues, SMS to members and secure mail between units."),
        (
            Counter(_("Member records"), "registry:person_list", staff=True),
            Counter(_("Party dues"), "dues:ledger", staff=True),
            Counter(_("SMS platform"), "sms:campaign_list", staff=True),
            Counter(_("Secure mail"), "securemail:inbox", staff=True),
        ),
        "M9 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6z M3 20v-1a6 6 0 0 1 12 0v1 M16 5.5a3 3 0 0 1 0 5.5 "
        "M21 20v-1a5 5 0 0 0-3.5-4.8",
    ),
    Supermarket(
        "publicity",
        _("Online Publicity Supermarket"),
        _("Party affairs in the open: news, policies, public notices and the knowledge base."),
        (
            Counter(_("News"), "publicity:home"),
            Counter(_("Open government"), _column("open_government")),
            Counter(_("Public notices"), "publicity:notices"),
            Counter(_("Knowledge base"), _column("knowledge")),
        ),
        "M3 10v4h4l8 5V5l-8 5z M18.5 9a3.5 3.5 0 0 1 0 6",
    ),
)

BY_SLUG = {s.slug: s for s in SUPERMARKETS}
