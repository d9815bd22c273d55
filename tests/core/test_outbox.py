"""The notification outbox against a real SMTP server (aiosmtpd on loopback): real MIME, retries, the sweep.

RFC 5321 is the protocol on the wire; RFC 2047 encodes the Chinese subject, RFC 2045 the Chinese body.
"""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core import outbox
from dangjian.core.models import Channel, Notification, NotificationState

SUBJECT = "关于召开党员大会的通知"
BODY = "各位党员：定于本周五下午三点在村委会召开党员大会。\n会昌县委组织部"
ADDRESS = "zhang.san@huichang.example.cn"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts, parsed from the bytes that came over the wire."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "noreply@dangjian.example.cn"
    yield inbox
    controller.stop()


@pytest.fixture
def no_smtp(settings):
    """A port where nothing listens: every connection is refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def queue_email(**kwargs) -> Notification:
    return outbox.queue_notification(channel=Channel.EMAIL, address=ADDRESS, subject=SUBJECT, body=BODY, **kwargs)


@pytest.mark.django_db
def test_an_email_is_delivered_after_commit_as_real_mime(smtp, immediate_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        n = queue_email()
        assert smtp.messages == [], "nothing leaves before the action's transaction commits"
    n.refresh_from_db()
    assert n.state == NotificationState.SENT and n.attempts == 1 and n.sent_at is not None
    (message,) = smtp.messages
    (envelope,) = smtp.envelopes
    assert envelope.rcpt_tos == [ADDRESS] and envelope.mail_from == "noreply@dangjian.example.cn"
    assert message["To"] == ADDRESS
    assert message["Subject"] == SUBJECT
    (raw_subject,) = [line for line in envelope.content.splitlines() if line.startswith(b"Subject:")]
    assert raw_subject.isascii() and b"=?utf-8?" in raw_subject.lower(), "an RFC 2047 encoded-word"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n").strip() == BODY  # lines end in CRLF on the wire
    assert message["Message-ID"] and message["Date"]


@pytest.mark.django_db
def test_a_rolled_back_action_sends_nothing(smtp, immediate_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        queue_email()
        raise RuntimeError("the action failed")
    assert not Notification.objects.exists()
    assert smtp.messages == []


@pytest.mark.django_db
def test_a_message_is_never_sent_twice(smtp):
    n = queue_email()
    assert outbox.deliver(n.pk) == NotificationState.SENT
    assert outbox.deliver(n.pk) == NotificationState.SENT
    assert outbox.sweep() == {"stale": 0, "enqueued": 0}
    assert len(smtp.messages) == 1
    n.refresh_from_db()
    assert n.attempts == 1


@pytest.mark.django_db
def test_a_refused_connection_is_retried_with_exponential_back_off_then_given_up(no_smtp, settings):
    settings.DANGJIAN_NOTIFICATION_MAX_ATTEMPTS = 4
    start = timezone.now().replace(microsecond=0)
    with freeze_time(start) as clock:
        n = queue_email()
        delays = []
        for attempt in range(1, 4):
            assert outbox.deliver(n.pk) == NotificationState.PENDING
            n.refresh_from_db()
            assert n.attempts == attempt and "ConnectionRefusedError" in n.last_error
            delays.append((n.next_attempt_at - timezone.now()).total_seconds())
            assert outbox.deliver(n.pk) == NotificationState.PENDING, "not before its next attempt is due"
            n.refresh_from_db()
            assert n.attempts == attempt
            clock.tick(timedelta(seconds=delays[-1]))
        assert delays == [outbox.BACKOFF_BASE_SECONDS * 2**i for i in range(3)]
        assert outbox.deliver(n.pk) == NotificationState.FAILED
    n.refresh_from_db()
    assert n.attempts == 4 and n.state == NotificationState.FAILED


@pytest.mark.django_db
def test_a_message_that_failed_once_is_delivered_when_the_server_is_back(no_smtp, settings, smtp_later):
    n = queue_email()
    with freeze_time(timezone.now()) as clock:
        assert outbox.deliver(n.pk) == NotificationState.PENDING
        inbox = smtp_later()
        clock.tick(timedelta(seconds=outbox.BACKOFF_BASE_SECONDS))
        assert outbox.deliver(n.pk) == NotificationState.SENT
    assert len(inbox.messages) == 1
    n.refresh_from_db()
    assert n.attempts == 2 and n.last_error == ""


@pytest.fixture
def smtp_later(settings):
    """Start the SMTP server part-way through a test."""
    controllers = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=settings.EMAIL_PORT)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.mark.django_db
def test_the_sweep_delivers_due_rows_whose_enqueue_was_lost_and_gives_up_stale_claims(smtp, immediate_tasks):
    lost = queue_email()  # its after-commit enqueue never ran (the test transaction never commits)
    stale = queue_email()
    Notification.objects.filter(pk=stale.pk).update(
        state=NotificationState.SENDING, claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    later = queue_email()
    Notification.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert outbox.sweep() == {"stale": 1, "enqueued": 1}
    states = dict(Notification.objects.values_list("pk", "state"))
    assert states == {
        lost.pk: NotificationState.SENT,
        stale.pk: NotificationState.UNKNOWN,  # the gateway may have taken it: never resent
        later.pk: NotificationState.PENDING,
    }
    assert len(smtp.messages) == 1
    assert outbox.sweep() == {"stale": 0, "enqueued": 0}
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_secret_leaves_in_the_message_and_not_in_the_outbox_once_final(smtp, no_smtp_for, settings):
    secret = "回执码：K7QM-2XPA-9RTD-4WHB"
    kept = "回执码：（送达后已删除）"

    def queue() -> Notification:
        return outbox.queue_notification(
            channel=Channel.EMAIL, address=ADDRESS, subject=SUBJECT, body=secret, body_after_delivery=kept
        )

    sent = queue()
    assert outbox.deliver(sent.pk) == NotificationState.SENT
    assert smtp.messages[0].get_content().strip() == secret  # the writer got it
    failed, stale = queue(), queue()
    Notification.objects.filter(pk=stale.pk).update(
        state=NotificationState.SENDING, claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT - timedelta(seconds=1)
    )
    settings.DANGJIAN_NOTIFICATION_MAX_ATTEMPTS = 1
    with no_smtp_for():
        assert outbox.deliver(failed.pk) == NotificationState.FAILED
    outbox.sweep()
    for n in (sent, failed, stale):
        n.refresh_from_db()
        assert (n.body, n.body_after_delivery) == (kept, ""), n.state
    pending = queue()
    assert Notification.objects.get(pk=pending.pk).body == secret  # kept until it has left


@pytest.fixture
def no_smtp_for(settings):
    """Point the mail backend at a closed port for the duration of a block."""
    from contextlib import contextmanager

    @contextmanager
    def closed():
        port = settings.EMAIL_PORT
        settings.EMAIL_PORT = free_port()
        try:
            yield
        finally:
            settings.EMAIL_PORT = port

    return closed


@pytest.mark.django_db
def test_an_inbox_message_is_delivered_by_its_commit_with_no_task(
    django_user_model, django_capture_on_commit_callbacks
):
    user = django_user_model.objects.create_user(username="clerk", password="x")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        n = outbox.queue_notification(channel=Channel.INBOX, recipient=user, subject="新来信", body="待分办")
    assert callbacks == []  # nothing for a worker to do
    n.refresh_from_db()
    assert n.state == NotificationState.SENT and n.sent_at is not None
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.queue_notification(channel=Channel.INBOX, recipient=user, body="回滚")
        raise RuntimeError
    assert list(Notification.objects.values_list("body", flat=True)) == ["待分办"]  # a rolled-back one is not there
