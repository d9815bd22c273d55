"""Reads of the supervision supermarket: staff queues scoped by the permission layer, the public lists."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from dangjian.core.permissions import scope_for
from dangjian.supervision.access import HEAD_KINDS, OFFICE_KINDS, READ_KINDS, RESPONDER_KINDS
from dangjian.supervision.models import (
    OPEN_STATUSES,
    Channel,
    Extension,
    ExtensionState,
    FollowUp,
    Letter,
    Result,
    Status,
)

#: "Due soon": a deadline within this time.
DUE_SOON = timedelta(hours=48)
QUEUES = ("all", "waiting", "signoff", "due", "late", "closed")
#: History lines the writer of a letter sees with the receipt (the inner moves between units stay internal).
PUBLIC_EVENTS = ("received", "dispatched", "followed_up", "signed_off", "rated", "reopened", "extension_granted")


def staff_letters(user, kinds=READ_KINDS) -> QuerySet[Letter]:
    """Letters the user may read: held by a unit in their scope, or shared with one as co-unit."""
    scope = scope_for(user)
    through = Letter.co_units.through.objects.filter(scope.q("unit", kinds))
    return Letter.objects.filter(scope.q("unit", kinds) | Q(pk__in=through.values("letter_id")))


def late_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(status__in=OPEN_STATUSES) & (
        Q(first_response_at__isnull=True, first_response_due__lt=now) | Q(answered_at__isnull=True, result_due__lt=now)
    )


def due_q(now=None) -> Q:
    now = now or timezone.now()
    soon = now + DUE_SOON
    return (
        Q(status__in=OPEN_STATUSES)
        & ~late_q(now)
        & (
            Q(first_response_at__isnull=True, first_response_due__lte=soon)
            | Q(answered_at__isnull=True, result_due__lte=soon)
        )
    )


def waiting_q(user) -> Q:
    """What waits for this user to act: the office dispatches, units answer, heads sign off."""
    scope = scope_for(user)
    q = Q(pk__in=[])
    if scope.has_kind(*OFFICE_KINDS):
        q |= Q(status=Status.RECEIVED)
    if scope.has_kind(*RESPONDER_KINDS):
        q |= Q(status__in=(Status.DISPATCHED, Status.FOLLOWED_UP))
    if scope.has_kind(*HEAD_KINDS):
        q |= Q(status=Status.AWAITING_SIGNOFF)
    return q


def queue(user, name: str = "all") -> QuerySet[Letter]:
    qs = staff_letters(user).select_related("channel", "unit")
    if name == "waiting":
        qs = qs.filter(waiting_q(user))
    elif name == "signoff":
        qs = qs.filter(status=Status.AWAITING_SIGNOFF)
    elif name == "due":
        qs = qs.filter(due_q())
    elif name == "late":
        qs = qs.filter(late_q())
    elif name == "closed":
        qs = qs.filter(status__in=(Status.ANSWERED, Status.CLOSED))
    return qs.order_by("-received_at", "-pk")


def staff_letter(user, pk: int) -> Letter | None:
    return (
        staff_letters(user)
        .select_related("channel", "unit", "area")
        .prefetch_related(
            "co_units",
            "attachments",
            Prefetch("follow_ups", FollowUp.objects.select_related("unit", "author")),
            Prefetch("results", Result.objects.select_related("unit", "author", "signed_off_by")),
            "events__actor",
            "events__unit",
            "extensions__unit",
            "ratings",
        )
        .filter(pk=pk)
        .first()
    )


def pending_extensions(user) -> QuerySet[Extension]:
    scope = scope_for(user)
    if not scope.has_kind(*OFFICE_KINDS):
        return Extension.objects.none()
    letters = scope.filter(Letter.objects.all(), "channel__unit", OFFICE_KINDS)
    return (
        Extension.objects.filter(state=ExtensionState.PENDING, letter__in=letters)
        .select_related("letter", "unit", "requested_by")
        .order_by("requested_at")
    )


def public_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(is_active=True).select_related("unit")


def published_letters(channel: Channel | None = None) -> QuerySet[Letter]:
    qs = Letter.objects.published().select_related("channel", "unit")
    if channel is not None:
        qs = qs.filter(channel=channel)
    return qs.order_by("-published_at", "-pk")


def public_letter(pk: int) -> Letter | None:
    return (
        Letter.objects.published()
        .select_related("channel", "unit")
        .prefetch_related(
            Prefetch("follow_ups", FollowUp.objects.select_related("unit")),
            Prefetch("results", Result.objects.filter(signed_off_at__isnull=False).select_related("unit")),
            "ratings",
        )
        .filter(pk=pk)
        .first()
    )
