"""Letters from an existing mailbox: `dangjian mailin --imap URL` reads it the way the SMTP server reads a message.

For a county whose channel addresses are mailboxes at the government mail service (政务邮箱) rather than MX records
pointing at this platform. The URL is `imap://user@host[:143]/MAILBOX` (STARTTLS when the server offers it) or
`imaps://user@host[:993]/MAILBOX` (TLS from the start, certificate checked); the password comes from
`DANGJIAN_IMAP_PASSWORD` (so it is not in the process list), or from the URL when that is unset. `?channel=CODE`
makes every message a letter of that channel (a mailbox that belongs to one channel); otherwise each message goes
to the channels whose addresses are in its To, Cc, Delivered-To or X-Original-To headers.

Each pass (RFC 3501): SELECT the mailbox, UID SEARCH for messages without the \\Seen flag, FETCH each with
BODY.PEEK[] (fetching does not mark it seen), turn it into a letter through `mailin.deliver`, and only then STORE
\\Seen. A message that cannot become a letter (the SMTP server would answer 5xx) is flagged \\Seen and
`$DangjianRefused` so it is not tried again; the writer was told nothing by mail, as they would have been by a
bounce, so the refusal is logged with its reason for the office. A fault of ours (the database away) leaves the
message unseen for the next pass. A crash between the commit and the STORE delivers it again next pass, and the
duplicate check refuses the copy: nothing lost, nothing twice.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import os
import re
import ssl
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.utils import getaddresses
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from dangjian.supervision import mailin
from dangjian.supervision.models import Channel

logger = logging.getLogger(__name__)
REFUSED_FLAG = "$DangjianRefused"
ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


@dataclass(frozen=True)
class Mailbox:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str
    channel: str | None

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ImproperlyConfigured("--imap needs imap://user@host/MAILBOX or imaps://user@host/MAILBOX")
        password = os.environ.get("DANGJIAN_IMAP_PASSWORD") or unquote(parts.password or "")
        if not password:
            raise ImproperlyConfigured("set DANGJIAN_IMAP_PASSWORD (or put the password in the URL)")
        channel = (parse_qs(parts.query).get("channel") or [None])[0]
        if channel and not Channel.objects.filter(code=channel, is_active=True).exists():
            raise ImproperlyConfigured(f"no active channel {channel!r}")
        secure = parts.scheme == "imaps"
        return cls(
            secure=secure, host=parts.hostname, port=parts.port or (993 if secure else 143),
            user=unquote(parts.username), password=password, folder=unquote(parts.path.lstrip("/")) or "INBOX",
            channel=channel,
        )  # fmt: skip


@dataclass
class Pass:
    delivered: int = 0
    refused: int = 0
    retry: int = 0
    reasons: list[str] = field(default_factory=list)


def _connect(box: Mailbox, timeout: float) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if box.secure:
        client: imaplib.IMAP4 = imaplib.IMAP4_SSL(box.host, box.port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(box.host, box.port, timeout=timeout)
        if "STARTTLS" in client.capabilities:
            client.starttls(ssl_context=context)
    client.login(box.user, box.password)
    return client


def recipients(raw: bytes) -> list[str]:
    """The addresses the message was sent to, from its headers (the envelope is not kept in a mailbox)."""
    msg = message_from_bytes(raw)
    found = getaddresses([str(v) for h in ADDRESS_HEADERS for v in (msg.get_all(h) or [])])
    return list(dict.fromkeys(address.strip().lower() for _name, address in found if address))


def poll_once(box: Mailbox, *, timeout: float = 60) -> Pass:
    """One pass over the mailbox's unseen messages."""
    result = Pass()
    client = _connect(box, timeout)
    try:
        status, _ = client.select(_quote(box.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {box.folder!r}")
        status, data = client.uid("SEARCH", "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids:
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched or [] if isinstance(part, tuple)), None)
            if status != "OK" or raw is None:
                result.retry += 1
                continue
            try:
                reply = mailin.deliver(raw, [] if box.channel else recipients(raw), channel_code=box.channel)
            except Exception:  # a fault of ours: leave it unseen, try again next pass
                logger.exception("mailin --imap: message %s could not be stored", uid.decode())
                result.retry += 1
                continue
            if reply.startswith("250"):
                client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
                result.delivered += 1
            else:
                client.uid("STORE", uid, "+FLAGS.SILENT", rf"(\Seen {REFUSED_FLAG})")
                logger.warning("mailin --imap: message %s refused: %s", uid.decode(), reply)
                result.refused += 1
                result.reasons.append(reply)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result


def _quote(folder: str) -> str:
    return folder if re.fullmatch(r"[A-Za-z0-9._/-]+", folder) else '"' + folder.replace('"', r"\"") + '"'


def run(box: Mailbox, *, interval: float, stop) -> None:
    """Poll until `stop` (a threading.Event) is set; a server that is away is tried again after the interval."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            result = poll_once(box)
            if result.delivered or result.refused:
                logger.info("mailin --imap: %d letters, %d refused", result.delivered, result.refused)
        except (imaplib.IMAP4.error, OSError, ssl.SSLError) as exc:
            logger.warning("mailin --imap: %s:%s unavailable: %s", box.host, box.port, exc)
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
