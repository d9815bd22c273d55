"""The four supermarkets as the portal shows them: name, what each offers, where it lives."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Supermarket:
    slug: str
    name: Promise
    tagline: Promise
    counters: tuple[Promise, ...]
    icon: str


SUPERMARKETS: tuple[Supermarket, ...] = (
    Supermarket(
        "supervision",
        _("Online Supervision Supermarket"),
        _("Write to the county secretary or the county head, openly or anonymously; every letter gets an answer."),
        (_("Secretary's mailbox"), _("County head's mailbox"), _("People's voice"), _("Complaints"),
         _("Live interviews"), _("Published replies")),
        "✉",
    ),
    Supermarket(
        "education",
        _("Online Education Supermarket"),
        _("A library of party history, classics, lectures and policy reports; the Sunday class in every village."),
        (_("Library"), _("Sunday class"), _("Requests"), _("Learning records")),
        "📖",
    ),
    Supermarket(
        "services",
        _("Online Services Supermarket"),
        _("Member, cadre and talent records, party dues, SMS to members and secure mail between units."),
        (_("Member records"), _("Party dues"), _("SMS platform"), _("Secure mail")),
        "🤝",
    ),
    Supermarket(
        "publicity",
        _("Online Publicity Supermarket"),
        _("Party affairs in the open: news, policies, public notices and the knowledge base."),
        (_("News"), _("Open government"), _("Public notices"), _("Knowledge base")),
        "📢",
    ),
)  # fmt: skip

BY_SLUG = {s.slug: s for s in SUPERMARKETS}
