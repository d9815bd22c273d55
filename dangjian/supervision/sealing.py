"""Confidential letters sealed at rest: a content key per letter, wrapped for the units that may read it.

A letter of a confidential channel (the demo's 监督投诉) keeps nothing readable on the server but its title, its
category, its dates and the names of the units handling it. Its body, the writer's contact (name, telephone,
e-mail) and its attachments' names and bytes are encrypted under a fresh content key
(`Suite.seal`: XChaCha20-Poly1305 in the default suite, SM4-GCM in the 国密 suite; see `dangjian.core.crypto`).

The content key is wrapped (`Suite.wrap`: an X25519 sealed box, or SM2) to the current key of each unit that may
read the letter: the receiving unit (the supervision office) at intake, then the lead unit and co-units the office
dispatches it to. These are the unit keys of the encrypted mail network, whose private halves exist only wrapped
to each officer's personal key, itself sealed under their mail passphrase (docs/securemail.md). So reading a
sealed letter needs an officer of one of those units to unlock their key, and a copy of the database and the media
folder alone reveals no letter text. When a letter goes back to the office, the units it leaves lose their wraps.
When a unit key rotates (an officer leaves), a letter wrapped to the retired version moves to the current one the
next time an officer of the unit opens it (`_rewrap_if_retired`).

The associated data of every sealed part names the letter and the part, so a part cannot be moved to another
letter or another field without failing to open.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from dangjian.core import crypto
from dangjian.core.crypto import CryptoError
from dangjian.core.models import Unit

if TYPE_CHECKING:
    from dangjian.services.securemail.keys import Unlocked
    from dangjian.services.securemail.models import UnitKey
    from dangjian.supervision.models import Attachment, Letter

#: The letter's fields that live only inside the seal.
SEALED_FIELDS = ("body", "contact_name", "contact_phone", "contact_email")


@dataclass
class Opened:
    """A sealed letter's content, opened for one request."""

    key: bytes
    suite: str
    body: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    #: sealed attachment's id (its `sha256` field, random for a sealed file) → {"name": real name, "sha256": digest}
    attachments: dict[str, dict[str, str]] = field(default_factory=dict)

    def attachment_name(self, attachment: Attachment) -> str:
        return self.attachments.get(attachment.sha256, {}).get("name", attachment.name)

    def contact(self) -> str:
        return " ".join(v for v in (self.contact_name, self.contact_phone, self.contact_email) if v)


def _aad(letter_pk: int, part: str) -> bytes:
    return f"dangjian-letter:{letter_pk}:{part}".encode()


def current_key(unit: Unit, suite: str | None = None) -> UnitKey | None:
    from dangjian.services.securemail.models import KeyState, UnitKey

    return UnitKey.objects.filter(unit=unit, suite=suite or crypto.suite_name(), state=KeyState.CURRENT).first()


def unit_can_receive(unit: Unit) -> bool:
    return current_key(unit) is not None


def _wrap(letter: Letter, key: bytes, units: list[Unit]) -> None:
    from dangjian.supervision.models import LetterKey

    s = crypto.suite()
    have = set(LetterKey.objects.filter(letter=letter).values_list("unit_key_id", flat=True))
    rows = []
    for unit in units:
        unit_key = current_key(unit, s.name)
        if unit_key is None:
            raise ValidationError(
                _(
                    "%(unit)s has no key on the encrypted mail network, so it cannot receive a confidential letter. "
                    "An officer of the unit must set one up first (Workbench › Encrypted mail › Keys)."
                )
                % {"unit": unit.name}
            )
        if unit_key.pk not in have:
            rows.append(
                LetterKey(letter=letter, unit=unit, unit_key=unit_key, wrapped=s.wrap(bytes(unit_key.wrap_public), key))
            )
            have.add(unit_key.pk)
    LetterKey.objects.bulk_create(rows)


def seal_letter(letter: Letter, *, plain: dict[str, str], attachments: list[tuple[Attachment, bytes]]) -> None:
    """Seal a new letter (already saved, its clear fields empty) for its channel's receiving unit.

    `attachments` are unsaved Attachment rows with their plaintext; they are saved holding ciphertext only."""
    from django.core.files.base import ContentFile

    s = crypto.suite()
    key = s.new_content_key()
    names = {}
    for n, (a, data) in enumerate(attachments, start=1):
        # The stored digest would let a copy of the database confirm a guessed file: a sealed file gets a random
        # id in its place, and its real name and digest go inside the seal.
        ident = secrets.token_hex(32)
        names[ident] = {"name": a.name, "sha256": a.sha256}
        a.sha256, a.name = ident, _("Attachment %(n)d") % {"n": n}
        sealed = s.seal(key, data, _aad(letter.pk, f"attachment:{ident}"))
        a.is_sealed = True
        a.file.save("sealed", ContentFile(sealed), save=False)
        a.save()
    content = {**{f: plain.get(f, "") for f in SEALED_FIELDS}, "attachments": names}
    letter.body_sealed = s.seal(key, json.dumps(content, ensure_ascii=False).encode(), _aad(letter.pk, "content"))
    letter.save(update_fields=["body_sealed"])
    _wrap(letter, key, [letter.channel.unit])


def open_letter(letter: Letter, unlocked: Unlocked) -> Opened:
    """Open a sealed letter with an officer's unlocked key. PermissionDenied when none of the officer's units holds
    a wrap of the letter's key; ValidationError when the stored data fails to verify."""
    from dangjian.supervision.models import LetterKey

    wraps = LetterKey.objects.filter(
        letter=letter, unit_key__suite=unlocked.suite, unit_key__grants__officer_id=unlocked.user_id
    ).select_related("unit_key", "unit")
    s = crypto.suite(unlocked.suite)
    for wrap in wraps:
        try:
            key = s.unwrap(unlocked.unit_keys(wrap.unit_key).wrap, bytes(wrap.wrapped))
            content = json.loads(s.open(key, bytes(letter.body_sealed or b""), _aad(letter.pk, "content")))
        except (CryptoError, PermissionDenied, ValueError):
            continue
        _rewrap_if_retired(letter, wrap, key)
        return Opened(
            key=key, suite=s.name, **{f: content.get(f, "") for f in SEALED_FIELDS},
            attachments=content.get("attachments", {}),
        )  # fmt: skip
    if not wraps:
        raise PermissionDenied(_("None of your units holds the key of this confidential letter."))
    raise ValidationError(_("The confidential letter failed to open: its data was altered or the key is wrong."))


def _rewrap_if_retired(letter: Letter, wrap, key: bytes) -> None:
    """A letter opened through a retired version of a unit's key moves to the unit's current version.

    A unit key rotates when an officer leaves (securemail's `revoke_officer`): what that officer may have copied of
    the retired version must not open the letters the unit still handles. The server never holds a unit's private
    key, so the move happens when an officer of the unit opens the letter: the content key is wrapped to the current
    version and the wrap to the retired one is deleted, in one transaction."""
    from dangjian.services.securemail.models import KeyState
    from dangjian.supervision.models import LetterKey

    if wrap.unit_key.state == KeyState.CURRENT:
        return
    current = current_key(wrap.unit, wrap.unit_key.suite)
    if current is None:  # the unit left the network: its old wraps are all it has
        return
    s = crypto.suite(current.suite)
    with transaction.atomic():
        LetterKey.objects.get_or_create(
            letter=letter, unit_key=current,
            defaults={"unit": wrap.unit, "wrapped": s.wrap(bytes(current.wrap_public), key)},
        )  # fmt: skip
        LetterKey.objects.filter(pk=wrap.pk).delete()


def share(letter: Letter, opened: Opened, units: list[Unit]) -> None:
    """Wrap the letter's key for more units (dispatch): they may read it from now on."""
    _wrap(letter, opened.key, units)


def unshare(letter: Letter, *, keep: list[Unit]) -> int:
    """Drop the wraps of every unit but `keep` (the letter went back to the office). Returns how many went."""
    from dangjian.supervision.models import LetterKey

    deleted, _ = LetterKey.objects.filter(letter=letter).exclude(unit__in=keep).delete()
    return deleted


def attachment_bytes(attachment: Attachment, opened: Opened | None) -> bytes:
    """The attachment's plaintext: opened with the letter's key when sealed."""
    with attachment.file.open("rb") as f:
        data = f.read()
    if not attachment.is_sealed:
        return data
    if opened is None:
        raise PermissionDenied
    expected = opened.attachments.get(attachment.sha256, {}).get("sha256")
    try:
        plain = crypto.suite(opened.suite).open(
            opened.key, data, _aad(attachment.letter_id, f"attachment:{attachment.sha256}")
        )
    except CryptoError as exc:
        raise ValidationError(_("The attachment failed to open: it was altered.")) from exc
    if hashlib.sha256(plain).hexdigest() != expected:
        raise ValidationError(_("The attachment failed to open: it was altered."))
    return plain


def record_reading(*, actor, letter: Letter, what: str) -> None:
    """Who opened a confidential letter (or one of its files), and when: an access log in the audit chain, so the
    office can show who read a report about whom."""
    from dangjian.core import audit

    audit.record(actor=actor, verb="letter.read_sealed", obj=letter, unit=letter.unit, after={"what": what})
