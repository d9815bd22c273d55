"""Reads of the encrypted mail network, limited to the units whose keys the user holds (and to the user's scope)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet

from dangjian.core.models import Unit, User
from dangjian.core.permissions import scope_for
from dangjian.services.securemail import conf
from dangjian.services.securemail.keys import officer_units
from dangjian.services.securemail.models import KeyState, Message, Recipient, UnitKey


def my_units(user: User) -> list[Unit]:
    scope = scope_for(user)
    return [u for u in officer_units(user) if scope.covers(u)]


def received(user: User) -> QuerySet[Recipient]:
    return (
        scope_for(user)
        .filter(Recipient.objects.filter(unit__in=my_units(user), deleted_at__isnull=True))
        .select_related("message__sender_unit", "unit")
        .order_by("-message__sent_at")
    )


def sent(user: User) -> QuerySet[Message]:
    return (
        scope_for(user)
        .filter(Message.objects.filter(sender_unit__in=my_units(user)))
        .exclude(sender_wrapped_key=b"")
        .select_related("sender_unit")
        .annotate(
            n_recipients=Count("recipients"), n_read=Count("recipients", filter=Q(recipients__read_at__isnull=False))
        )
        .order_by("-sent_at")
    )


def unread_count(user: User) -> int:
    return received(user).filter(read_at__isnull=True, message__purged_at__isnull=True).count()


def reachable_units(suite: str | None = None) -> QuerySet[Unit]:
    """Units that can receive: those with a current key in the deployment's suite."""
    keyed = UnitKey.objects.filter(suite=suite or conf.suite_name(), state=KeyState.CURRENT).values("unit")
    return Unit.objects.filter(pk__in=keyed, is_active=True).order_by("path")


@dataclass
class ArchiveFilters:
    unit: Unit | None = None
    category: str = ""
    year: int | None = None
    sender: str = ""
    doc_number: str = ""
    sent_from: date | None = None
    sent_to: date | None = None


def archive(user: User, f: ArchiveFilters) -> QuerySet[Recipient]:
    """The 存档: received documents by category and year, searched by metadata only (nothing is decrypted)."""
    qs = received(user)
    if f.unit is not None:
        qs = qs.filter(unit=f.unit)
    if f.category:
        qs = qs.filter(archive_category=f.category)
    if f.year:
        qs = qs.filter(archive_year=f.year)
    if f.sender:
        qs = qs.filter(Q(message__sender_unit__name__icontains=f.sender) | Q(message__sender_unit__code=f.sender))
    if f.doc_number:
        qs = qs.filter(message__doc_number__icontains=f.doc_number)
    if f.sent_from:
        qs = qs.filter(message__sent_at__date__gte=f.sent_from)
    if f.sent_to:
        qs = qs.filter(message__sent_at__date__lte=f.sent_to)
    return qs


def archive_years(user: User) -> list[int]:
    return list(received(user).order_by("-archive_year").values_list("archive_year", flat=True).distinct())
