"""The SMS platform's data: templates, campaigns, the durable outbox of messages (one row per recipient), the parts
the gateway acknowledged, opt-outs and inbound messages."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Unit
from dangjian.core.permissions import ScopedQuerySet


class Template(models.Model):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("template")
        verbose_name_plural = _("templates")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="sms_template_unique_name")]

    def __str__(self) -> str:
        return self.name


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SENDING = "sending", _("Sending")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """One message composed once for an audience. `audience` is the filter (see audience.py), kept as written."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    audience = models.JSONField(_("audience"), default=dict)
    mandatory = models.BooleanField(
        _("mandatory notice"), default=False, help_text=_("Sent to people who opted out as well.")
    )
    urgent = models.BooleanField(_("urgent"), default=False, help_text=_("Sent during quiet hours as well."))
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    gateway = models.CharField(_("gateway"), max_length=10, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.DRAFT)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("created_by")),
                name="sms_campaign_second_person_approves",
            )
        ]

    def __str__(self) -> str:
        return self.title


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SUBMITTING = "submitting", _("Being submitted")
    SUBMITTED = "submitted", _("Submitted")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class MessageQuerySet(ScopedQuerySet):
    pass


class Message(models.Model):
    """One message to one mobile number: the durable outbox row.

    queued → submitting (claimed by a sender, committed before the first byte leaves) → submitted (the gateway's
    message id stored) → delivered / failed / expired (from the delivery receipt). A row found in `submitting` after
    its sender died is resolved by the receipts the SMSC delivers afterwards, or sent again when none came
    (see dispatch.py).
    """

    # No index of its own: the two indexes that lead with the campaign serve every lookup by it, and each index
    # costs the sender a write per update of the row (the state is indexed, so no update of it is HOT).
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.CASCADE, related_name="messages",
        db_index=False,
    )  # fmt: skip
    notification_id = models.BigIntegerField(null=True, blank=True, unique=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    mobile = models.CharField(_("mobile"), max_length=20)
    body = models.TextField(_("text"))
    # A text carrying a secret (the receipt of an anonymous letter, from the core outbox) is kept only until the
    # message is final (delivered, failed, expired): then the body becomes this, when given (dispatch.FORGET_SECRET).
    body_after_delivery = models.TextField(blank=True)
    parts = models.PositiveSmallIntegerField(_("parts"), default=1)
    parts_done = models.PositiveSmallIntegerField(default=0)
    gateway = models.CharField(_("gateway"), max_length=10, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED, db_index=False
    )
    gateway_id = models.CharField(_("gateway message id"), max_length=70, blank=True)
    error = models.CharField(_("reason"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "gateway", "id"], name="sms_message_state_idx"),
            models.Index(fields=["campaign", "state"], name="sms_message_campaign_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "mobile"], condition=Q(campaign__isnull=False), name="sms_message_once_per_campaign"
            ),
            models.CheckConstraint(condition=Q(parts__gte=1), name="sms_message_parts_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.mobile}: {self.body[:20]}"


class Part(models.Model):
    """One submit_sm the gateway acknowledged with its message id: how a delivery receipt finds its message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    gateway = models.CharField(max_length=10)
    gateway_id = models.CharField(max_length=70)
    seq = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=10, choices=MessageState.choices, default=MessageState.SUBMITTED)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["gateway", "gateway_id"], name="sms_part_unique_gateway_id")]

    def __str__(self) -> str:
        return self.gateway_id


class OptOut(models.Model):
    """A number that asked for no more messages (a 退订/TD reply or an administrator's entry)."""

    mobile = models.CharField(_("mobile"), max_length=20, unique=True)
    source = models.CharField(
        _("source"), max_length=10, choices=[("reply", _("Reply")), ("admin", _("Administrator"))]
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.mobile


class InboundKind(models.TextChoices):
    OPT_OUT = "optout", _("Opt-out")
    REQUEST = "request", _("Programme request")
    REPLY = "reply", _("Reply")


class Inbound(models.Model):
    """A message a mobile sent to us (deliver_sm that is not a receipt, or a provider's reply callback)."""

    mobile = models.CharField(_("mobile"), max_length=20)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=10, choices=InboundKind.choices)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    gateway = models.CharField(_("gateway"), max_length=10, blank=True)
    # The provider's id of the message (a pushed reply may be pushed again): one row, and one action, per id.
    ref = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "ref"], condition=~Q(ref=""), name="sms_inbound_once_per_ref")
        ]

    def __str__(self) -> str:
        return f"{self.mobile}: {self.text[:20]}"
