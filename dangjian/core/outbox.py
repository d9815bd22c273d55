"""The notification outbox: queue a message inside an action's transaction; deliver it after commit, once.

Delivery is at most once per row: a worker first claims the row (pending → sending) with a conditional UPDATE,
then hands it to the channel's sender, then marks it sent. A failure the sender reports is retried with
exponential back-off; a row left in `sending` by a worker that died is marked `unknown` and never resent,
because the gateway may already have taken it. A sweep re-enqueues rows whose after-commit enqueue was lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Channel, Notification, NotificationState, Unit, User

logger = logging.getLogger(__name__)

#: How long a claimed row may stay in `sending` before it is given up as unknown.
CLAIM_TIMEOUT = timedelta(minutes=10)
BACKOFF_BASE_SECONDS = 30


class DeliveryError(Exception):
    """A sender's report that the message was certainly not delivered; the outbox retries it."""


# Once a row is final (sent, failed for good, unknown), the body becomes its body_after_delivery when it has one.
_FORGET_SECRET = {
    "body": Case(When(body_after_delivery="", then=F("body")), default=F("body_after_delivery")),
    "body_after_delivery": Value(""),
}


def _send_email(n: Notification) -> str:
    EmailMessage(subject=n.subject, body=n.body, to=[n.address]).send(fail_silently=False)
    return ""


def _send_inbox(n: Notification) -> str:
    # The row itself is the inbox entry: delivering it is making it visible.
    return ""


def _send_sms(n: Notification) -> str:
    sender = getattr(settings, "DANGJIAN_SMS_SENDER", "")
    if sender:
        return import_string(sender)(n)
    logger.info("SMS (console gateway) to %s: %s", n.address, n.body_after_delivery or n.body)
    return ""


SENDERS: dict[str, Callable[[Notification], str]] = {
    Channel.EMAIL: _send_email,
    Channel.INBOX: _send_inbox,
    Channel.SMS: _send_sms,
}


def queue_notification(
    *,
    channel: str,
    body: str,
    recipient: User | None = None,
    address: str = "",
    subject: str = "",
    unit: Unit | None = None,
    kind: str = "",
    body_after_delivery: str = "",
) -> Notification:
    """Write one outbox row in the caller's transaction; enqueue its delivery when that transaction commits (an
    in-site inbox row is delivered by the commit itself).

    `body_after_delivery`: for a body that carries a secret, what the row keeps once the message has left."""
    if channel not in Channel.values:
        raise ValueError(_("Unknown channel."))
    if not address and recipient is not None:
        address = recipient.mobile if channel == Channel.SMS else recipient.email if channel == Channel.EMAIL else ""
    if channel == Channel.INBOX:
        # The row is the inbox entry: it is delivered when the caller's transaction commits, with no worker and no
        # task row (a second write, on SQLite a second turn at the one write lock, for every letter received).
        now = timezone.now()
        return Notification.objects.create(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body_after_delivery or body,
            unit=unit,
            kind=kind,
            state=NotificationState.SENT,
            attempts=1,
            claimed_at=now,
            sent_at=now,
        )
    n = Notification.objects.create(
        channel=channel,
        recipient=recipient,
        address=address,
        subject=subject,
        body=body,
        body_after_delivery=body_after_delivery,
        unit=unit,
        kind=kind,
    )
    transaction.on_commit(lambda: _enqueue(n.pk))
    return n


def _enqueue(pk: int) -> None:
    from dangjian.core.tasks import deliver_notification

    try:
        deliver_notification.enqueue(pk)
    except Exception:
        # The row stays pending; the periodic sweep will enqueue it again.
        logger.exception("could not enqueue notification %s", pk)


def deliver(pk: int) -> str:
    """Deliver one row if it is due; returns the state it ends in. Safe to call any number of times."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=pk, state=NotificationState.PENDING, next_attempt_at__lte=now).update(
        state=NotificationState.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return Notification.objects.filter(pk=pk).values_list("state", flat=True).first() or "missing"
    n = Notification.objects.get(pk=pk)
    try:
        external_id = SENDERS[n.channel](n)
    except Exception as exc:  # any failure of the gateway is a failed attempt
        if n.attempts >= settings.DANGJIAN_NOTIFICATION_MAX_ATTEMPTS:
            state = NotificationState.FAILED
            next_at = n.next_attempt_at
        else:
            state = NotificationState.PENDING
            next_at = timezone.now() + timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** (n.attempts - 1))
        Notification.objects.filter(pk=pk, state=NotificationState.SENDING).update(
            state=state,
            next_attempt_at=next_at,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            **(_FORGET_SECRET if state == NotificationState.FAILED else {}),
        )
        logger.warning("notification %s attempt %s failed: %s", pk, n.attempts, exc)
        return state
    Notification.objects.filter(pk=pk, state=NotificationState.SENDING).update(
        state=NotificationState.SENT,
        sent_at=timezone.now(),
        external_id=external_id or "",
        last_error="",
        **_FORGET_SECRET,
    )
    return NotificationState.SENT


def sweep() -> dict[str, int]:
    """Give up rows stuck in `sending`; enqueue pending rows that are due. Run by the scheduler every minute."""
    now = timezone.now()
    stale = Notification.objects.filter(state=NotificationState.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        state=NotificationState.UNKNOWN,
        last_error="worker stopped between claim and confirmation; not resent",
        **_FORGET_SECRET,
    )
    due = list(
        Notification.objects.filter(state=NotificationState.PENDING, next_attempt_at__lte=now).values_list(
            "pk", flat=True
        )[:1000]
    )
    for pk in due:
        _enqueue(pk)
    return {"stale": stale, "enqueued": len(due)}
