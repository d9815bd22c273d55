"""Letters by e-mail: an SMTP server (aiosmtpd) that turns each message to a channel address into a letter.

- RCPT TO an address that is no channel's is refused at once (RFC 5321 §3.3: 550 for a mailbox not accepted).
- 250 comes only after the letter is committed; a message that cannot become a letter gets 554 with the reason,
  so the sending server returns it to the writer instead of the letter being lost silently.
- Chinese mail arrives in GB2312 / GBK / GB18030, Big5 or UTF-8, in encoded-word headers (RFC 2047), RFC 2231
  file names and MIME bodies; GB2312 and GBK labels are decoded as GB18030, their superset, because mail clients
  label GBK text as GB2312 all the time.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header
from email.message import Message
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.db import close_old_connections

from dangjian.supervision import actions
from dangjian.supervision import attachments as att
from dangjian.supervision.models import Channel, Source

logger = logging.getLogger(__name__)
#: Largest message accepted (RFC 1870 SIZE): the attachment limits plus MIME overhead (base64 grows by a third).
MAX_MESSAGE_BYTES = att.MAX_TOTAL_BYTES * 4 // 3 + 1024 * 1024
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}


def _codec(charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name


def decode_words(value: str | None) -> str:
    """A header value with its RFC 2047 encoded words decoded."""
    if not value:
        return ""
    out = []
    for chunk, charset in decode_header(str(value)):
        out.append(chunk.decode(_codec(charset), errors="replace") if isinstance(chunk, bytes) else chunk)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    return payload.decode(_codec(part.get_content_charset()), errors="replace")


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</tr\s*>", "\n", markup)
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return re.sub(r"[ \t\u00a0]+", " ", re.sub(r"\n\s*\n+", "\n\n", text)).strip()


def _filename(part: Message) -> str | None:
    name = part.get_filename()
    if name is None:
        return None
    if isinstance(name, tuple):  # RFC 2231 with a charset the library could not apply
        charset, _lang, raw = name
        return raw.encode("latin-1", errors="replace").decode(_codec(charset), errors="replace")
    return decode_words(name)


@dataclass
class Parsed:
    sender_name: str
    sender_email: str
    title: str
    body: str
    attachments: list[att.Upload] = field(default_factory=list)


def parse(raw: bytes) -> Parsed:
    """Subject, sender, text (plain preferred, else HTML made plain) and attachments of one message."""
    msg = message_from_bytes(raw)
    name, address = parseaddr(decode_words(msg.get("From")))
    plain: list[str] = []
    html_parts: list[str] = []
    uploads: list[att.Upload] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = _filename(part)
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if filename or disposition == "attachment":
            uploads.append(att.Upload(filename or "attachment", part.get_payload(decode=True) or b""))
        elif part.get_content_type() == "text/plain":
            plain.append(_text_of(part))
        elif part.get_content_type() == "text/html":
            html_parts.append(_html_to_text(_text_of(part)))
    body = "\n\n".join(p.strip() for p in plain if p.strip()) or "\n\n".join(p for p in html_parts if p)
    title = decode_words(msg.get("Subject"))
    return Parsed(name.strip(), address.strip(), title or body.strip().split("\n", 1)[0][:60], body, uploads)


def channel_for(address: str) -> Channel | None:
    return Channel.objects.filter(email__iexact=address.strip(), is_active=True).first()


def deliver(raw: bytes, recipients: list[str], *, channel_code: str | None = None) -> str:
    """Turn one message into a letter per channel address (or a letter of `channel_code` alone); the SMTP reply
    line for the DATA command."""
    close_old_connections()
    try:
        parsed = parse(raw)
        codes: list[str] = []
        if channel_code:
            channels = list(Channel.objects.filter(code=channel_code, is_active=True))
        else:
            channels = [c for c in (channel_for(rcpt) for rcpt in recipients) if c is not None]
        for channel in channels:
            if channel.code in codes:
                continue
            actions.submit_letter(
                channel_code=channel.code,
                title=parsed.title[: actions.TITLE_MAX],
                body=parsed.body,
                anonymous=not parsed.sender_email,
                contact_name=(parsed.sender_name or parsed.sender_email.split("@")[0])[:50],
                contact_email=parsed.sender_email,
                attachments=parsed.attachments,
                source=Source.EMAIL,
            )
            codes.append(channel.code)
    except ValidationError as exc:
        reason = " ".join(exc.messages)[:400].replace("\r", " ").replace("\n", " ")
        return f"554 5.6.0 {reason}"
    finally:
        close_old_connections()
    return "250 2.0.0 Letter received" if codes else "550 5.1.1 No channel at these addresses"


class Handler:
    """aiosmtpd handler: check each RCPT against the channels, deliver the DATA in a worker thread."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        known = await asyncio.to_thread(_known, address)
        if not known:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        try:
            return await asyncio.to_thread(deliver, raw, list(envelope.rcpt_tos))
        except Exception:  # a fault of ours: ask the sender to retry later (RFC 5321 §4.2.1, 4yz)
            logger.exception("mailin: a message could not be stored")
            return "451 4.3.0 Temporary failure, try again later"


def _known(address: str) -> bool:
    close_old_connections()
    try:
        return channel_for(address) is not None
    finally:
        close_old_connections()


def controller(host: str = "127.0.0.1", port: int = 2525):
    """An aiosmtpd Controller (a thread running the server); call .start() and .stop()."""
    from aiosmtpd.controller import Controller

    return Controller(
        Handler(),
        hostname=host,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
        server_hostname="dangjian",
        ident="Dangjian mailin",
        decode_data=False,
    )
