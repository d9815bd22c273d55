"""Encrypted mail data: officer identities, unit keys and their grants, messages, recipients and attachments.

Nothing here holds a subject, a body, a file name or a file's content in clear: those live only in ciphertext
(`Message.header`, the attachment files). What stays readable on the server is the metadata the archive is
searched by (sender, date, category, document number) and the public halves of keys.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Unit, User
from dangjian.core.permissions import ScopedQuerySet


class SuiteName(models.TextChoices):
    NACL = "nacl", _("libsodium (X25519, Ed25519, XChaCha20-Poly1305)")
    SM = "sm", _("Commercial cryptography (SM2, SM3, SM4)")


class Category(models.TextChoices):
    NOTICE = "notice", _("Notice")
    REQUEST = "request", _("Request for instructions")
    REPORT = "report", _("Report")
    LETTER = "letter", _("Letter")
    MINUTES = "minutes", _("Minutes")
    OTHER = "other", _("Other")
    # Offered so a sender can declare it, and always refused: cadre-appointment files do not travel on this network.
    CADRE_APPOINTMENT = "cadre_appointment", _("Cadre appointment (not allowed on this network)")


class OfficerIdentity(models.Model):
    """An officer's personal key pair; the private half sealed under a key derived from their mail passphrase."""

    user = models.ForeignKey(User, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="mail_identities")
    suite = models.CharField(_("suite"), max_length=8, choices=SuiteName.choices)
    public = models.BinaryField(_("public key"))
    sealed_private = models.BinaryField()
    salt = models.BinaryField()
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("officer key")
        verbose_name_plural = _("officer keys")
        constraints = [models.UniqueConstraint(fields=["user", "suite"], name="securemail_identity_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.suite})"


class KeyState(models.TextChoices):
    CURRENT = "current", _("Current")
    RETIRED = "retired", _("Retired (reads old mail)")
    REVOKED = "revoked", _("Revoked (unit closed or merged)")


class UnitKey(models.Model):
    """One version of a unit's key pairs: X25519/SM2 to receive, Ed25519/SM2 to sign. Private halves only in grants."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="mail_keys")
    suite = models.CharField(_("suite"), max_length=8, choices=SuiteName.choices)
    version = models.PositiveIntegerField(_("version"))
    wrap_public = models.BinaryField()
    sign_public = models.BinaryField()
    state = models.CharField(_("state"), max_length=8, choices=KeyState.choices, default=KeyState.CURRENT)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    unit_field: ClassVar[str] = "unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit key")
        verbose_name_plural = _("unit keys")
        constraints = [
            models.UniqueConstraint(fields=["unit", "suite", "version"], name="securemail_unitkey_version"),
            models.UniqueConstraint(
                fields=["unit", "suite"], condition=Q(state="current"), name="securemail_unitkey_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} v{self.version} ({self.suite})"


class KeyGrant(models.Model):
    """A unit key's private halves wrapped to one officer's identity: the officer may read and send for the unit."""

    unit_key = models.ForeignKey(UnitKey, on_delete=models.CASCADE, related_name="grants")
    officer = models.ForeignKey(User, verbose_name=_("officer"), on_delete=models.CASCADE, related_name="mail_grants")
    identity = models.ForeignKey(OfficerIdentity, on_delete=models.CASCADE, related_name="grants")
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(_("granted at"), default=timezone.now)

    unit_field: ClassVar[str] = "unit_key__unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("key grant")
        verbose_name_plural = _("key grants")
        constraints = [models.UniqueConstraint(fields=["unit_key", "officer"], name="securemail_grant_unique")]

    def __str__(self) -> str:
        return f"{self.officer} → {self.unit_key}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name says nothing about the file: the real name is inside the encrypted header.
    return f"securemail/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"


class Message(models.Model):
    """One document sent by a unit to one or more units; its content encrypted once under a fresh content key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    suite = models.CharField(_("suite"), max_length=8, choices=SuiteName.choices)
    sender_unit = models.ForeignKey(Unit, verbose_name=_("sender"), on_delete=models.PROTECT, related_name="+")
    sender_user = models.ForeignKey(User, verbose_name=_("sent by"), null=True, on_delete=models.SET_NULL)
    sender_key = models.ForeignKey(UnitKey, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    doc_number = models.CharField(_("document number"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    forwardable = models.BooleanField(_("may be forwarded"), default=True)
    forwarded_from = models.ForeignKey(
        "self", verbose_name=_("forwarded from"), null=True, blank=True, on_delete=models.SET_NULL
    )
    header = models.BinaryField()  # encrypted JSON: subject, body, attachment names
    sender_wrapped_key = models.BinaryField(blank=True)  # the sender unit's own copy; emptied when it deletes
    manifest = models.TextField()  # canonical JSON of the metadata and ciphertext digests: what is signed
    signature = models.BinaryField()
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)

    unit_field: ClassVar[str] = "sender_unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("encrypted message")
        verbose_name_plural = _("encrypted messages")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(category="cadre_appointment"), name="securemail_no_cadre_appointment")
        ]

    def __str__(self) -> str:
        return f"{self.sender_unit} {self.doc_number or self.id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=attachment_path, max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    digest = models.BinaryField()

    unit_field: ClassVar[str] = "message__sender_unit"

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["message", "position"], name="securemail_attachment_pos")]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.position}"


class Recipient(models.Model):
    """A receiving unit: its wrapped copy of the content key, the read receipt, and its archive filing."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="recipients")
    unit = models.ForeignKey(Unit, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+")
    unit_key = models.ForeignKey(UnitKey, on_delete=models.PROTECT, related_name="+")
    wrapped_key = models.BinaryField(blank=True)  # emptied when the unit deletes the message
    archive_category = models.CharField(_("archive category"), max_length=20, choices=Category.choices)
    archive_year = models.PositiveSmallIntegerField(_("archive year"), db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    unit_field: ClassVar[str] = "unit"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [models.UniqueConstraint(fields=["message", "unit"], name="securemail_recipient_unique")]
        indexes = [models.Index(fields=["unit", "archive_category", "archive_year"], name="securemail_archive")]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.unit}"
