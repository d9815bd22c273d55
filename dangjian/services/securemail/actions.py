"""Changes of state on the encrypted mail network: keys, grants, sending, reading, forwarding, filing, deleting.

Every act is atomic and audited. Acts that need a private key take an `Unlocked` (keys.py): the server never holds
a unit's private key except, for a moment, inside the request of an officer who unlocked with their passphrase.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit, crypto, outbox
from dangjian.core.crypto import CryptoError
from dangjian.core.models import Channel, Role, Unit, User
from dangjian.core.permissions import STAFF_KINDS, scope_for
from dangjian.services.securemail import conf
from dangjian.services.securemail.direct import DirectWriter
from dangjian.services.securemail.keys import Unlocked, grant_payload, identity_aad, officer_units
from dangjian.services.securemail.models import (
    Attachment,
    Category,
    KeyGrant,
    KeyState,
    Message,
    OfficerIdentity,
    Recipient,
    UnitKey,
)

MIN_PASSPHRASE = 10

# Words that mark cadre-appointment (干部任免) material: appointment, removal, promotion, inspection of candidates,
# pre-appointment publicity. Matching one warns the sender; declaring the category refuses the message.
APPOINTMENT_WORDS = re.compile(
    r"干部任免|任免|任职|免职|免去|任命|拟任|提拔|考察对象|职务调整|干部调整|任前公示|cadre appointment", re.IGNORECASE
)


class AppointmentWarning(ValidationError):
    """The text or a file name looks like cadre-appointment material; the sender must confirm before sending."""


# ------------------------------------------------------------------------------------------------------- officers
def _may_be_officer(user: User, unit: Unit) -> bool:
    return Role.objects.filter(user=user, unit=unit, kind__in=STAFF_KINDS).exists()


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            _("The mail passphrase needs at least %(n)d characters.") % {"n": MIN_PASSPHRASE}, code="passphrase"
        )


def _seal_identity(identity: OfficerIdentity, private: bytes, passphrase: str) -> None:
    s = crypto.suite(identity.suite)
    identity.salt = crypto.random_salt()
    key = s.passphrase_key(passphrase, identity.salt)
    identity.sealed_private = s.seal(key, private, identity_aad(identity.user_id, identity.suite))


@transaction.atomic
def enrol_officer(*, actor: User, passphrase: str) -> OfficerIdentity:
    """Give the officer a personal key pair, its private half sealed under their mail passphrase."""
    _check_passphrase(passphrase)
    s = crypto.suite()
    if OfficerIdentity.objects.filter(user=actor, suite=s.name).exists():
        raise ValidationError(_("You already have a mail passphrase; change it instead."))
    pair = s.wrap_keypair()
    identity = OfficerIdentity(user=actor, suite=s.name, public=pair.public)
    _seal_identity(identity, pair.private, passphrase)
    identity.save()
    audit.record(actor=actor, verb="securemail.officer.enrol", obj=identity, after={"suite": s.name})
    return identity


@transaction.atomic
def change_passphrase(*, actor: User, unlocked: Unlocked, passphrase: str) -> None:
    _check_passphrase(passphrase)
    identity = OfficerIdentity.objects.select_for_update().get(user=actor, suite=unlocked.suite)
    _seal_identity(identity, unlocked.identity.private, passphrase)
    identity.save(update_fields=["salt", "sealed_private"])
    audit.record(actor=actor, verb="securemail.officer.passphrase", obj=identity)


def _wrap_for(unit_key: UnitKey, identity: OfficerIdentity, payload: bytes) -> KeyGrant:
    return KeyGrant(
        unit_key=unit_key,
        officer_id=identity.user_id,
        identity=identity,
        wrapped=crypto.suite(unit_key.suite).wrap(bytes(identity.public), payload),
    )


def _new_key_version(unit: Unit, s: crypto.Suite, identities: Iterable[OfficerIdentity]) -> UnitKey:
    """A fresh key pair for the unit, wrapped to each identity; the private halves are forgotten on return."""
    last = UnitKey.objects.filter(unit=unit, suite=s.name).order_by("-version").first()
    wrap, sign = s.wrap_keypair(), s.sign_keypair()
    key = UnitKey.objects.create(
        unit=unit, suite=s.name, version=(last.version + 1) if last else 1, wrap_public=wrap.public,
        sign_public=sign.public,
    )  # fmt: skip
    payload = grant_payload(wrap, sign)
    KeyGrant.objects.bulk_create([_wrap_for(key, i, payload) for i in identities])
    return key


@transaction.atomic
def create_unit_key(*, actor: User, unit: Unit) -> UnitKey:
    """Put a unit on the network: its first key pair, granted to the enrolled officers who hold a role there."""
    s = crypto.suite()
    if not _may_be_officer(actor, unit):
        raise PermissionDenied
    Unit.objects.select_for_update().get(pk=unit.pk)
    if UnitKey.objects.filter(unit=unit, suite=s.name).exists():
        raise ValidationError(_("%(unit)s already has a key.") % {"unit": unit.name})
    officers = Role.objects.filter(unit=unit, kind__in=STAFF_KINDS).values("user")
    identities = list(OfficerIdentity.objects.filter(user__in=officers, suite=s.name))
    if not any(i.user_id == actor.pk for i in identities):
        raise ValidationError(_("Set a mail passphrase first."))
    key = _new_key_version(unit, s, identities)
    audit.record(
        actor=actor, verb="securemail.key.create", obj=key, unit=unit,
        after={"version": key.version, "suite": s.name, "officers": sorted(i.user_id for i in identities)},
    )  # fmt: skip
    return key


@transaction.atomic
def grant_officer(*, actor: User, unlocked: Unlocked, unit: Unit, officer: User) -> int:
    """Let another officer of the unit read its mail, old and new: every key version is wrapped to them."""
    if not _may_be_officer(officer, unit):
        raise ValidationError(_("%(user)s holds no role at %(unit)s.") % {"user": officer, "unit": unit.name})
    identity = OfficerIdentity.objects.filter(user=officer, suite=unlocked.suite).first()
    if identity is None:
        raise ValidationError(_("%(user)s has not set a mail passphrase yet.") % {"user": officer})
    have = set(KeyGrant.objects.filter(officer=officer, unit_key__unit=unit).values_list("unit_key", flat=True))
    keys = UnitKey.objects.filter(unit=unit, suite=unlocked.suite, grants__officer_id=actor.pk).exclude(pk__in=have)
    grants = []
    for key in keys:
        opened = unlocked.unit_keys(key)
        grants.append(_wrap_for(key, identity, grant_payload(opened.wrap, opened.sign)))
    if not grants and not have:
        raise PermissionDenied
    KeyGrant.objects.bulk_create(grants)
    audit.record(
        actor=actor, verb="securemail.key.grant", obj=identity, unit=unit,
        after={"officer": officer.pk, "versions": sorted(g.unit_key.version for g in grants)},
    )  # fmt: skip
    return len(grants)


def _require_key_admin(actor: User, unit: Unit) -> None:
    """Officers of the unit, and administrators whose scope covers it, manage its keys (never read with them)."""
    if KeyGrant.objects.filter(officer=actor, unit_key__unit=unit).exists():
        return
    if scope_for(actor).covers(unit, kinds=["org_admin"]):
        return
    raise PermissionDenied


def _current(unit: Unit, suite: str, *, lock: bool = True) -> UnitKey:
    qs = UnitKey.objects.filter(unit=unit, suite=suite, state=KeyState.CURRENT)
    key = (qs.select_for_update() if lock else qs).first()
    if key is None:
        raise ValidationError(_("%(unit)s has no current key.") % {"unit": unit.name})
    return key


@transaction.atomic
def rotate_unit_key(*, actor: User, unit: Unit, reason: str = "") -> UnitKey:
    """A new key version for new mail, granted to the current key's officers; old versions still read old mail."""
    _require_key_admin(actor, unit)
    s = crypto.suite()
    old = _current(unit, s.name)
    identities = list(OfficerIdentity.objects.filter(grants__unit_key=old))
    old.state, old.ended_at = KeyState.RETIRED, timezone.now()
    old.save(update_fields=["state", "ended_at"])
    key = _new_key_version(unit, s, identities)
    audit.record(
        actor=actor, verb="securemail.key.rotate", obj=key, unit=unit,
        before={"version": old.version}, after={"version": key.version, "reason": reason},
    )  # fmt: skip
    return key


@transaction.atomic
def revoke_officer(*, actor: User, unit: Unit, officer: User) -> UnitKey:
    """An officer leaves: their grants go, and the unit key rotates so what they may have copied opens no new mail."""
    _require_key_admin(actor, unit)
    deleted, _by_model = KeyGrant.objects.filter(officer=officer, unit_key__unit=unit).delete()
    if not deleted:
        raise ValidationError(_("%(user)s is not an officer of %(unit)s.") % {"user": officer, "unit": unit.name})
    audit.record(actor=actor, verb="securemail.key.revoke_officer", obj=officer, unit=unit, before={"grants": deleted})
    return rotate_unit_key(actor=actor, unit=unit, reason="officer revoked")


@transaction.atomic
def revoke_unit_key(*, actor: User, unit: Unit, reason: str) -> UnitKey:
    """The unit leaves the network (closed, merged): it receives no more mail; its officers still read the old."""
    _require_key_admin(actor, unit)
    if not reason.strip():
        raise ValidationError(_("Give a reason."))
    key = _current(unit, crypto.suite().name)
    key.state, key.ended_at = KeyState.REVOKED, timezone.now()
    key.save(update_fields=["state", "ended_at"])
    audit.record(actor=actor, verb="securemail.key.revoke", obj=key, unit=unit, after={"reason": reason})
    return key


@transaction.atomic
def merge_unit(*, actor: User, unlocked: Unlocked, source: Unit, target: Unit) -> int:
    """A unit merges into another: the target's officers get every key of the source, then the source is revoked."""
    target_key = _current(target, unlocked.suite, lock=False)
    identities = list(OfficerIdentity.objects.filter(grants__unit_key=target_key))
    source_keys = list(UnitKey.objects.filter(unit=source, suite=unlocked.suite, grants__officer_id=actor.pk))
    if not source_keys:
        raise PermissionDenied
    grants = []
    for key in source_keys:
        opened = unlocked.unit_keys(key)
        payload = grant_payload(opened.wrap, opened.sign)
        holders = set(key.grants.values_list("officer", flat=True))
        grants += [_wrap_for(key, i, payload) for i in identities if i.user_id not in holders]
    KeyGrant.objects.bulk_create(grants)
    revoke_unit_key(actor=actor, unit=source, reason=f"merged into {target.code}")
    audit.record(
        actor=actor, verb="securemail.key.merge", obj=target_key, unit=target,
        after={"source": source.code, "grants": len(grants)},
    )  # fmt: skip
    return len(grants)


# -------------------------------------------------------------------------------------------------------- sending
@dataclass
class Upload:
    """An attachment to send: its name and a readable binary file (read once, in chunks)."""

    name: str
    file: BinaryIO


def appointment_matches(*texts: str) -> list[str]:
    return sorted({m.group(0) for t in texts for m in APPOINTMENT_WORDS.finditer(t or "")})


def _manifest(
    message: Message, recipients: Iterable[tuple[str, int]], header_digest: bytes, parts, version: int
) -> str:
    """The canonical text the sending unit signs. Its version is the version of the ciphertext digests it records
    (`crypto.DIGEST_VERSIONS`): versions differ only there, so mail signed with an older version still opens."""
    body = {
        "v": version,
        "suite": message.suite,
        "id": str(message.id),
        "sender": message.sender_unit.code,
        "sender_key": message.sender_key.pk,
        "sent_at": message.sent_at.isoformat(),
        "category": message.category,
        "doc_number": message.doc_number,
        "forwardable": message.forwardable,
        "expires_at": message.expires_at.isoformat() if message.expires_at else None,
        "forwarded_from": str(message.forwarded_from_id) if message.forwarded_from_id else None,
        "header": header_digest.hex(),
        "attachments": [[size, digest.hex()] for size, digest in parts],
        "recipients": sorted([code, key] for code, key in recipients),  # (unit code, unit key id)
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _recipient_keys(units: list[Unit], sender: Unit, suite: str) -> list[tuple[Unit, int, bytes]]:
    """Each receiving unit with the id and public half of its current key (no model instance per key: a message
    goes to up to 300 units)."""
    if not units:
        raise ValidationError(_("Choose at least one receiving unit."))
    if len({u.pk for u in units}) != len(units):
        raise ValidationError(_("A unit is listed twice."))
    if len(units) > conf.max_recipients():
        raise ValidationError(_("At most %(n)d receiving units per message.") % {"n": conf.max_recipients()})
    if any(u.pk == sender.pk for u in units):
        raise ValidationError(_("A unit cannot send to itself."))
    current = UnitKey.objects.filter(unit__in=units, suite=suite, state=KeyState.CURRENT)
    keys = {unit: (pk, bytes(public)) for unit, pk, public in current.values_list("unit", "pk", "wrap_public")}
    missing = [u.name for u in units if u.pk not in keys]
    if missing:
        raise ValidationError(_("Not on the encrypted mail network: %(units)s.") % {"units": "、".join(missing)})
    return [(u, *keys[u.pk]) for u in units]


def _insert_recipients(message: Message, rows: list[tuple[int, int, bytes]], category: str, year: int) -> None:
    """The recipient rows (unit id, unit key id, wrapped key) of a new message in one statement: `bulk_create` of
    200 model instances cost more CPU than encrypting 20 MB (docs/benchmarks.md)."""
    fields = [Recipient._meta.get_field(name) for name in ("message", "unit", "unit_key", "wrapped_key",
                                                           "archive_category", "archive_year")]  # fmt: skip
    db = transaction.get_connection()
    qn = db.ops.quote_name
    into = f"INSERT INTO {qn(Recipient._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
    message_id = fields[0].get_db_prep_save(message.pk, db)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            units, keys, wrapped = zip(*rows, strict=True)
            arrays = "unnest(%s::bigint[], %s::bigint[], %s::bytea[]) AS v(u, k, w)"
            cursor.execute(
                f"{into} SELECT %s, u, k, w, %s, %s FROM {arrays}",  # noqa: S608 (the model's quoted names, placeholders)
                [message_id, category, year, list(units), list(keys), list(wrapped)],
            )
        else:
            cursor.executemany(
                f"{into} VALUES (%s, %s, %s, %s, %s, %s)", [(message_id, *row, category, year) for row in rows]
            )


class _EncryptedFile(File):
    """A finished temporary file: FileSystemStorage moves it into place (a rename) instead of copying it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _scratch_dir() -> str | None:
    """Encrypt next to the media folder when it is local, so the move into storage is a rename on one disk."""
    try:
        path = os.path.join(default_storage.path("securemail"), "tmp")
    except NotImplementedError:  # remote storage (S3): a local temporary file, uploaded by save()
        return None
    os.makedirs(path, exist_ok=True)
    return path


def _encrypt_uploads(s: crypto.Suite, key: bytes, uploads: list[Upload], version: int) -> list[tuple[str, int, bytes]]:
    """Encrypt each upload straight into storage; returns (stored name, size, digest). Deletes all on failure."""
    saved: list[tuple[str, int, bytes]] = []
    scratch = _scratch_dir() if uploads else None
    try:
        for up in uploads:
            with tempfile.NamedTemporaryFile(dir=scratch, suffix=".part", delete=False) as tmp:
                try:
                    direct = DirectWriter.open(tmp.name) if scratch else None
                    try:
                        dst = cast(BinaryIO, direct) if direct is not None else tmp
                        size, digest = crypto.encrypt_stream(s, key, up.file, dst, digest_version=version)
                    finally:
                        if direct is not None:
                            direct.close()
                    if size > conf.max_attachment_bytes():
                        raise ValidationError(_("An attachment is too large."))
                    tmp.flush()
                    name = default_storage.save(
                        Attachment.file.field.generate_filename(None, "a.bin"), _EncryptedFile(tmp)
                    )
                finally:
                    if os.path.exists(tmp.name):
                        os.remove(tmp.name)
            saved.append((name, size, digest))
    except BaseException:
        for name, _size, _digest in saved:
            default_storage.delete(name)
        raise
    return saved


def send_message(
    *,
    actor: User,
    unlocked: Unlocked,
    sender_unit: Unit,
    recipients: list[Unit],
    category: str,
    subject: str,
    body: str = "",
    doc_number: str = "",
    uploads: list[Upload] | None = None,
    forwardable: bool = True,
    expires_at: datetime | None = None,
    confirm_not_appointment: bool = False,
    forwarded_from: Message | None = None,
) -> Message:
    """Encrypt once, wrap the content key for each recipient unit (and the sender's copy), sign, store."""
    uploads = uploads or []
    if category == Category.CADRE_APPOINTMENT:
        raise ValidationError(_("Cadre appointment (干部任免) material may not be sent on the encrypted mail network."))
    if category not in Category.values:
        raise ValidationError(_("Choose a category."))
    if not subject.strip():
        raise ValidationError(_("Give the message a subject."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry must lie in the future."))
    found = appointment_matches(subject, body, doc_number, *(u.name for u in uploads))
    if found and not confirm_not_appointment:
        raise AppointmentWarning(
            _("This looks like cadre appointment material (%(words)s), which may not be sent on this network. "
              "Confirm that it is not, or remove it.") % {"words": "、".join(found)},
            code="appointment",
        )  # fmt: skip
    s = unlocked.s
    sender = unlocked.current_keys(sender_unit)
    addressed = _recipient_keys(recipients, sender_unit, s.name)
    content_key = s.new_content_key()
    header_plain = json.dumps(
        {"subject": subject, "body": body, "attachments": [u.name for u in uploads]}, ensure_ascii=False
    ).encode()
    header = crypto.encrypt_bytes(s, content_key, header_plain)
    version = crypto.DIGEST_VERSION
    header_digest = crypto.stream_digest(s, io.BytesIO(header), digest_version=version)
    # The wraps (one public-key operation per recipient, in C that releases the GIL) run beside the attachments'
    # encryption instead of after it.
    publics = [sender.wrap.public, *(public for _unit, _key, public in addressed)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="securemail-wrap") as pool:
        wrapping = pool.submit(lambda: [s.wrap(public, content_key) for public in publics])
        saved = _encrypt_uploads(s, content_key, uploads, version)
        sender_wrapped, *wrapped = wrapping.result()
    try:
        with transaction.atomic():
            message = Message(
                suite=s.name, sender_unit=sender_unit, sender_user=actor, sender_key=sender.unit_key,
                category=category, doc_number=doc_number.strip(), forwardable=forwardable, expires_at=expires_at,
                forwarded_from=forwarded_from, header=header, sender_wrapped_key=sender_wrapped,
            )  # fmt: skip
            parts = [(size, d) for _n, size, d in saved]
            listed = [(unit.code, key) for unit, key, _public in addressed]
            message.manifest = _manifest(message, listed, header_digest, parts, version)
            message.signature = s.sign(sender.sign.private, sender.sign.public, message.manifest.encode())
            message.save()
            Attachment.objects.bulk_create(
                Attachment(message=message, position=i, file=name, size=size, digest=digest)
                for i, (name, size, digest) in enumerate(saved)
            )
            rows = [(unit.pk, key, w) for (unit, key, _public), w in zip(addressed, wrapped, strict=True)]
            _insert_recipients(message, rows, category, timezone.localtime(message.sent_at).year)
            audit.record(
                actor=actor, verb="securemail.message.send", obj=message, unit=sender_unit,
                after={"recipients": len(addressed), "attachments": len(saved), "category": category,
                       "doc_number": message.doc_number, "forwarded_from": str(message.forwarded_from_id or "")},
            )  # fmt: skip
    except BaseException:
        for name, _size, _digest in saved:
            default_storage.delete(name)
        raise
    return message


# -------------------------------------------------------------------------------------------------------- reading
@dataclass
class Opened:
    message: Message
    subject: str
    body: str
    attachment_names: list[str]
    content_key: bytes


def manifest_version(message: Message) -> int:
    """The version of a message's signed manifest, which says how its ciphertext digests were computed."""
    try:
        version = json.loads(message.manifest)["v"]
    except (ValueError, TypeError, KeyError) as exc:
        raise CryptoError("unreadable manifest") from exc
    if version not in crypto.DIGEST_VERSIONS:
        raise CryptoError(f"unknown manifest version {version!r}")
    return version


def verify_message(message: Message) -> None:
    """The sending unit's signature over the manifest, and the manifest against what is stored now: metadata,
    recipients and the digests of the ciphertexts. Any change on the server after sending fails here."""
    s = crypto.suite(message.suite)
    s.verify(bytes(message.sender_key.sign_public), message.manifest.encode(), bytes(message.signature))
    version = manifest_version(message)
    listed = message.recipients.values_list("unit__code", "unit_key")
    header_digest = crypto.stream_digest(s, io.BytesIO(bytes(message.header)), digest_version=version)
    parts = [(a.size, bytes(a.digest)) for a in message.attachments.all()]
    if _manifest(message, listed, header_digest, parts, version) != message.manifest:
        raise CryptoError("the stored message does not match what the sender signed")


def _content_key(unlocked: Unlocked, message: Message, recipient: Recipient | None) -> bytes:
    if recipient is None:
        wrapped, unit_key = bytes(message.sender_wrapped_key), message.sender_key
    else:
        wrapped, unit_key = bytes(recipient.wrapped_key), recipient.unit_key
    if not wrapped:
        raise ValidationError(_("This message has been deleted."))
    keys = unlocked.unit_keys(unit_key)
    return crypto.suite(message.suite).unwrap(keys.wrap, wrapped)


def _holding(actor: User, message: Message) -> Recipient | None:
    """The recipient row through which the actor reads, or None when the actor reads as the sender."""
    units = [u.pk for u in officer_units(actor, message.suite)]
    recipient = message.recipients.select_related("unit_key", "unit").filter(unit__in=units).first()
    if recipient is not None:
        return recipient
    if message.sender_unit_id in units:
        return None
    raise PermissionDenied


def open_message(*, actor: User, unlocked: Unlocked, message: Message) -> Opened:
    """Verify and decrypt a message; the first reading by a recipient unit records a read receipt."""
    if message.purged_at is not None:
        raise ValidationError(_("This message has expired and its content was destroyed."))
    recipient = _holding(actor, message)
    if recipient is not None and recipient.deleted_at is not None:
        raise ValidationError(_("This message has been deleted."))
    try:
        verify_message(message)
        key = _content_key(unlocked, message, recipient)
        header = json.loads(crypto.decrypt_bytes(key, bytes(message.header)))
    except CryptoError as exc:
        raise ValidationError(_("The message failed verification: it was altered or the key is wrong.")) from exc
    if recipient is not None and recipient.read_at is None:
        _record_receipt(actor, recipient)
    return Opened(message, header["subject"], header["body"], header["attachments"], key)


@transaction.atomic
def _record_receipt(actor: User, recipient: Recipient) -> None:
    updated = Recipient.objects.filter(pk=recipient.pk, read_at__isnull=True).update(
        read_at=timezone.now(), read_by=actor
    )
    if not updated:
        return
    message = recipient.message
    audit.record(actor=actor, verb="securemail.message.read", obj=message, unit=recipient.unit)
    if message.sender_user is not None:
        outbox.queue_notification(
            channel=Channel.INBOX, recipient=message.sender_user, unit=message.sender_unit,
            kind="securemail.receipt", subject=_("Read receipt"),
            body=_("%(unit)s has read your encrypted message %(number)s.")
            % {"unit": recipient.unit.name, "number": message.doc_number or timezone.localdate(message.sent_at)},
        )  # fmt: skip


def attachment_chunks(opened: Opened, position: int) -> tuple[str, Iterator[bytes]]:
    """The name and plaintext chunks of one attachment, after checking its stored digest against the manifest."""
    attachment = opened.message.attachments.get(position=position)
    s = crypto.suite(opened.message.suite)
    with attachment.file.open("rb") as f:
        if crypto.stream_digest(s, f, digest_version=manifest_version(opened.message)) != bytes(attachment.digest):
            raise ValidationError(_("The attachment was altered."))

    def chunks() -> Iterator[bytes]:
        with attachment.file.open("rb") as f:
            yield from crypto.decrypt_stream(opened.content_key, f)

    return opened.attachment_names[position], chunks()


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks: re-encrypts a forwarded attachment in constant memory."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buffer:
            self._buffer = next(self._chunks, b"")
            if not self._buffer:
                return 0
        n = min(len(b), len(self._buffer))
        b[:n], self._buffer = self._buffer[:n], self._buffer[n:]
        return n


def forward_message(
    *, actor: User, unlocked: Unlocked, message: Message, recipients: list[Unit], note: str = "",
    confirm_not_appointment: bool = False,
) -> Message:  # fmt: skip
    """Forward within policy: only a receiving unit, only a message the sender allowed, never after expiry."""
    recipient = _holding(actor, message)
    if recipient is None:
        raise ValidationError(_("Only a receiving unit forwards a message."))
    if not message.forwardable:
        raise ValidationError(_("The sender does not allow this message to be forwarded."))
    if message.expires_at is not None and message.expires_at <= timezone.now():
        raise ValidationError(_("This message has expired."))
    opened = open_message(actor=actor, unlocked=unlocked, message=message)
    uploads = [
        Upload(name, io.BufferedReader(_ChunkReader(attachment_chunks(opened, i)[1]), crypto.CHUNK))
        for i, name in enumerate(opened.attachment_names)
    ]
    origin = _("Forwarded from %(unit)s") % {"unit": message.sender_unit.name}
    body = f"{note}\n\n—— {origin} ——\n{opened.body}"
    return send_message(
        actor=actor, unlocked=unlocked, sender_unit=recipient.unit, recipients=recipients,
        category=message.category, subject=opened.subject, body=body.strip(), doc_number=message.doc_number,
        uploads=uploads, forwardable=True, expires_at=message.expires_at,
        confirm_not_appointment=confirm_not_appointment, forwarded_from=message,
    )  # fmt: skip


# ------------------------------------------------------------------------------------------- filing and deletion
def _require_officer_of(actor: User, unit: Unit) -> None:
    if unit not in officer_units(actor):
        raise PermissionDenied


@transaction.atomic
def file_received(*, actor: User, recipient: Recipient, category: str) -> Recipient:
    """File a received document under another archive category (the year stays the year it was sent)."""
    _require_officer_of(actor, recipient.unit)
    if category not in Category.values or category == Category.CADRE_APPOINTMENT:
        raise ValidationError(_("Choose a category."))
    before = recipient.archive_category
    recipient.archive_category = category
    recipient.save(update_fields=["archive_category"])
    audit.record(
        actor=actor, verb="securemail.message.file", obj=recipient.message, unit=recipient.unit,
        before={"category": before}, after={"category": category},
    )  # fmt: skip
    return recipient


def _purge_if_unreadable(message: Message) -> None:
    """Delete the ciphertext once no unit holds a key to it any more."""
    if message.sender_wrapped_key or message.recipients.exclude(wrapped_key=b"").exists():
        return
    _purge(message)


def _purge(message: Message) -> None:
    for a in message.attachments.all():
        a.file.delete(save=False)
    message.attachments.all().delete()
    message.recipients.update(wrapped_key=b"")
    message.header, message.sender_wrapped_key, message.purged_at = b"", b"", timezone.now()
    message.save(update_fields=["header", "sender_wrapped_key", "purged_at"])


@transaction.atomic
def delete_message(*, actor: User, message: Message) -> None:
    """A unit deletes its copy: its wrapped key is destroyed (it can no longer open the message); metadata stays."""
    recipient = _holding(actor, message)
    if recipient is None:
        message.sender_wrapped_key = b""
        message.save(update_fields=["sender_wrapped_key"])
        unit = message.sender_unit
    else:
        Recipient.objects.filter(pk=recipient.pk).update(wrapped_key=b"", deleted_at=timezone.now())
        unit = recipient.unit
    audit.record(actor=actor, verb="securemail.message.delete", obj=message, unit=unit)
    transaction.on_commit(lambda: _purge_if_unreadable(Message.objects.get(pk=message.pk)))


def purge_expired(*, now: datetime | None = None) -> int:
    """Destroy the content of every message past its expiry (idempotent; the scheduler runs it)."""
    now = now or timezone.now()
    count = 0
    for message in Message.objects.filter(expires_at__lte=now, purged_at__isnull=True):
        with transaction.atomic():
            _purge(message)
            audit.record(actor=None, verb="securemail.message.expire", obj=message, unit=message.sender_unit)
        count += 1
    return count
