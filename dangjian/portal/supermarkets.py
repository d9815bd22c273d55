"""The four supermarkets as the portal shows them: name, what each offers, and where each counter lives.

A counter's `url` is the path of its page once its app serves it; an empty url shows the counter as coming.
Each supermarket's app edits only its own entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Counter:
    label: Promise
    url: str = ""


@dataclass(frozen=True)
class Supermarket:
    slug: str
    name: Promise
    tagline: Promise
    counters: tuple[Counter, ...]
    icon: str


SUPERMARKETS: tuple[Supermarket, ...] = (
    Supermarket(
        "supervision",
        _("Online Supervision Supermarket"),
        _("Write to the county secretary or the county head, openly or anonymously; every letter gets an answer."),
        (
            Counter(_("Secretary's mailbox")),
            Counter(_("County head's mailbox")),
            Counter(_("People's voice")),
            Counter(_("Complaints")),
            Counter(_("Live interviews")),
            Counter(_("Published replies")),
        ),
        "✉",
    ),
    Supermarket(
        "education",
        _("Online Education Supermarket"),
        _("A library of party history, classics, lectures and policy reports; the Sunday class in every village."),
        (
            Counter(_("Library")),
            Counter(_("Sunday class")),
            Counter(_("Requests")),
            Counter(_("Learning records")),
        ),
        "📖",
    ),
    Supermarket(
        "services",
        _("Online Services Supermarket"),
        _("Member, cadre and talent records, party dues, SMS to members and secure mail between units."),
        (
            Counter(_("Member records")),
            Counter(_("Party dues")),
            Counter(_("SMS platform")),
            Counter(_("Secure mail")),
        ),
        "🤝",
    ),
    Supermarket(
        "publicity",
        _("Online Publicity Supermarket"),
        _("Party affairs in the open: news, policies, public notices and the knowledge base."),
        (
            Counter(_("News")),
            Counter(_("Open government")),
            Counter(_("Public notices")),
            Counter(_("Knowledge base")),
        ),
        "📢",
    ),
)

BY_SLUG = {s.slug: s for s in SUPERMARKETS}
