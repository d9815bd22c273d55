"""Every change of state of the SMS platform: compose, submit, approve, cancel a campaign; opt-outs; inbound
messages; single messages for the core outbox. Each runs in a transaction and leaves an audit record."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit
from dangjian.core.models import Unit, User
from dangjian.core.permissions import scope_for
from dangjian.education.actions import request_play_by_sms
from dangjian.services.registry.identity import normalise_mobile
from dangjian.services.sms import audience as audiences
from dangjian.services.sms import conf, templating
from dangjian.services.sms.access import ADMIN_KINDS, APPROVE_KINDS, COMPOSE_KINDS
from dangjian.services.sms.gateways import BACKENDS, default_backend
from dangjian.services.sms.models import (
    Campaign,
    CampaignState,
    Inbound,
    InboundKind,
    Message,
    MessageState,
    OptOut,
)
from dangjian.services.sms.segments import count as count_parts
from dangjian.services.sms.segments import split

#: Replies that ask for no more messages: 退订 and the carriers' TD / T / N conventions.
OPT_OUT_WORDS = re.compile(r"^\s*(退订|取消|TD|T|N|STOP|UNSUBSCRIBE)\s*$", re.I)
REQUEST_WORD = re.compile(r"^\s*点播")
QUEUE_CHUNK = 5000


def approval_threshold() -> int:
    """Campaigns to more recipients than this need a second person's approval (DANGJIAN_SMS_APPROVAL_THRESHOLD)."""
    return int(conf.number("DANGJIAN_SMS_APPROVAL_THRESHOLD", 200))


def _require(actor: User, unit: Unit, kinds) -> None:
    if not scope_for(actor).covers(unit, kinds):
        raise PermissionDenied(_("You may not do this for %(unit)s.") % {"unit": unit.name})


def _check_gateway(gateway: str) -> str:
    gateway = gateway or default_backend()
    if gateway not in BACKENDS:
        raise ValidationError(_("Unknown gateway."))
    return gateway


@transaction.atomic
def compose_campaign(
    *,
    actor: User,
    unit: Unit,
    title: str,
    body: str,
    audience: dict,
    mandatory: bool = False,
    urgent: bool = False,
    scheduled_at: datetime | None = None,
    gateway: str = "",
) -> Campaign:
    _require(actor, unit, COMPOSE_KINDS)
    if not title.strip():
        raise ValidationError(_("Give the campaign a title."))
    templating.check(body)
    audience = audiences.clean(actor, audience)
    if not Unit.objects.get(pk=audience["unit"]).path.startswith(unit.path):
        raise ValidationError(_("The audience must lie within the campaign's unit."))
    if scheduled_at is not None and scheduled_at < timezone.now():
        raise ValidationError(_("The sending time is in the past."))
    campaign = Campaign.objects.create(
        unit=unit,
        title=title.strip()[:100],
        body=body.strip(),
        audience=audience,
        mandatory=mandatory,
        urgent=urgent,
        scheduled_at=scheduled_at,
        gateway=_check_gateway(gateway),
        created_by=actor,
    )
    audit.record(actor=actor, verb="sms.campaign.compose", obj=campaign, unit=unit, after={"title": campaign.title})
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def submit_campaign(*, actor: User, campaign: Campaign) -> Campaign:
    """Count the audience; a campaign above the threshold waits for a second person, a smaller one is queued."""
    campaign = _locked(campaign)
    _require(actor, campaign.unit, COMPOSE_KINDS)
    if campaign.state != CampaignState.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    n = audiences.count(campaign.audience).sendable(mandatory=campaign.mandatory)
    if n == 0:
        raise ValidationError(_("Nobody in this audience can receive the message."))
    campaign.recipient_count = n
    campaign.state = CampaignState.AWAITING_APPROVAL if n > approval_threshold() else CampaignState.APPROVED
    campaign.save(update_fields=["recipient_count", "state"])
    audit.record(actor=actor, verb="sms.campaign.submit", obj=campaign, unit=campaign.unit, after={"count": n})
    if campaign.state == CampaignState.APPROVED:
        _queue(campaign)
    return campaign


@transaction.atomic
def approve_campaign(*, actor: User, campaign: Campaign) -> Campaign:
    campaign = _locked(campaign)
    _require(actor, campaign.unit, APPROVE_KINDS)
    if campaign.state != CampaignState.AWAITING_APPROVAL:
        raise ValidationError(_("This campaign is not awaiting approval."))
    if campaign.created_by_id == actor.pk:
        raise ValidationError(_("A second person must approve a campaign; you composed this one."))
    campaign.state = CampaignState.APPROVED
    campaign.approved_by, campaign.approved_at = actor, timezone.now()
    campaign.save(update_fields=["state", "approved_by", "approved_at"])
    audit.record(actor=actor, verb="sms.campaign.approve", obj=campaign, unit=campaign.unit)
    _queue(campaign)
    return campaign


@transaction.atomic
def cancel_campaign(*, actor: User, campaign: Campaign) -> Campaign:
    """Stop a campaign: what was not yet handed to the gateway is not sent."""
    campaign = _locked(campaign)
    _require(actor, campaign.unit, COMPOSE_KINDS)
    if campaign.state in (CampaignState.DONE, CampaignState.CANCELLED):
        raise ValidationError(_("This campaign is already finished."))
    stopped = campaign.messages.filter(state=MessageState.QUEUED).update(
        state=MessageState.FAILED, error="cancelled", done_at=timezone.now()
    )
    campaign.state = CampaignState.CANCELLED
    campaign.save(update_fields=["state"])
    audit.record(actor=actor, verb="sms.campaign.cancel", obj=campaign, unit=campaign.unit, after={"stopped": stopped})
    return campaign


MESSAGE_COLUMNS = (
    "campaign_id, unit_id, gateway, state, queued_at, body_after_delivery, parts_done, gateway_id, error, attempts,"
    " mobile, body, parts"
)


def _queue(campaign: Campaign) -> None:
    """Write one outbox row per recipient inside the caller's transaction (a million rows must queue in under a
    minute: model instances, or one statement per row, cost more than the database; on PostgreSQL each statement
    is a round trip, so there the rows stream in one COPY); start the sender on commit."""
    opted = set() if campaign.mandatory else audiences.opted_out()
    plain = not templating.variables_in(campaign.body)
    fixed = templating.render(campaign.body, {}, mandatory=campaign.mandatory) if plain else ""
    fixed_parts = count_parts(fixed) if plain else 0
    now = timezone.now()
    # What every row shares, then each row's mobile, text and part count (the order of MESSAGE_COLUMNS).
    shared = (campaign.pk, campaign.unit_id, campaign.gateway, MessageState.QUEUED)
    shared += (connection.ops.adapt_datetimefield_value(now), "", 0, "", "", 0)

    def rows():
        for r in audiences.recipients(campaign.audience):
            if r.mobile in opted:
                continue
            text = fixed or templating.render(campaign.body, r.values, mandatory=campaign.mandatory)
            yield r.mobile, text, fixed_parts or count_parts(text)

    total = _insert_messages(shared, rows())
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.SENDING, queued_at=now, recipient_count=total)
    campaign.state, campaign.queued_at, campaign.recipient_count = CampaignState.SENDING, now, total
    gateway = campaign.gateway
    transaction.on_commit(lambda: _start_sender(gateway))


def _insert_messages(shared: tuple, rows: Iterator[tuple[str, str, int]]) -> int:
    """Insert outbox rows (the shared values, then mobile, text, parts) a chunk at a time (the rows come from a
    query on the same connection, which cannot read while a COPY is open); returns how many."""
    total = 0
    head = ", ".join(["%s"] * len(shared))
    with connection.cursor() as cursor:
        while chunk := list(itertools.islice(rows, QUEUE_CHUNK)):
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY sms_message ({MESSAGE_COLUMNS}) FROM STDIN") as copy:
                    for row in chunk:
                        copy.write_row((*shared, *row))
            else:
                cursor.execute(
                    f"INSERT INTO sms_message ({MESSAGE_COLUMNS}) SELECT {head}, v.column1, v.column2, v.column3"  # noqa: S608 (placeholders only)
                    f" FROM (VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))}) AS v",
                    [*shared, *(x for row in chunk for x in row)],
                )
            total += len(chunk)
    return total


def _start_sender(gateway: str) -> None:
    from dangjian.services.sms.tasks import send_sms

    send_sms.enqueue(gateway)


def _mobile(raw: str) -> str:
    try:
        return normalise_mobile(raw)
    except ValidationError:
        raise ValidationError(_("%(value)s is not a mainland mobile number.") % {"value": raw}) from None


@transaction.atomic
def add_opt_out(*, actor: User | None, mobile: str, source: str = "admin") -> OptOut:
    if actor is not None and not scope_for(actor).has_kind(*ADMIN_KINDS):
        raise PermissionDenied(_("You may not change the opt-out list."))
    opt, created = OptOut.objects.get_or_create(mobile=_mobile(mobile), defaults={"source": source})
    if created:
        audit.record(actor=actor, verb="sms.optout.add", obj=opt, after={"source": source})
    return opt


@transaction.atomic
def remove_opt_out(*, actor: User, mobile: str) -> None:
    if not scope_for(actor).has_kind(*ADMIN_KINDS):
        raise PermissionDenied(_("You may not change the opt-out list."))
    deleted, _n = OptOut.objects.filter(mobile=_mobile(mobile)).delete()
    if deleted:
        audit.record(actor=actor, verb="sms.optout.remove", after={"mobile": mobile})


@transaction.atomic
def receive_inbound(*, mobile: str, text: str, gateway: str, ref: str = "") -> Inbound:
    """Route a reply: 退订/TD to the opt-out list, 点播 to the station requests, anything else to its campaign.

    `ref`, the provider's id of the message: a message received again under the same id is not acted on again."""
    ref = ref[:100]
    if ref and (seen := Inbound.objects.filter(gateway=gateway, ref=ref).first()) is not None:
        return seen
    with contextlib.suppress(ValidationError):
        mobile = normalise_mobile(mobile)
    if OPT_OUT_WORDS.match(text):
        kind = InboundKind.OPT_OUT
        add_opt_out(actor=None, mobile=mobile, source="reply")
    elif REQUEST_WORD.match(text):
        kind = InboundKind.REQUEST
        # A request that cannot be taken is answered with the reason; either way it is kept here as it came.
        request_play_by_sms(mobile=mobile, text=text)
    else:
        kind = InboundKind.REPLY
    last = Message.objects.filter(mobile=mobile, campaign__isnull=False).order_by("-id").only("campaign_id").first()
    return Inbound.objects.create(
        mobile=mobile,
        text=text[:1000],
        kind=kind,
        gateway=gateway,
        ref=ref,
        campaign_id=last.campaign_id if last else None,
    )


@transaction.atomic
def queue_message(
    *,
    mobile: str,
    text: str,
    notification_id: int | None = None,
    unit: Unit | None = None,
    text_after_delivery: str = "",
) -> Message:
    """One message outside a campaign (the core outbox's receipts and reminders); idempotent per notification.

    `text_after_delivery`: for a text that carries a secret, what the row keeps once the message is final."""
    mobile = _mobile(mobile)
    if not text.strip():
        raise ValidationError(_("The message is empty."))
    text = templating.render(text, {}, mandatory=True)
    after = templating.render(text_after_delivery, {}, mandatory=True) if text_after_delivery.strip() else ""
    defaults = {
        "mobile": mobile,
        "body": text,
        "body_after_delivery": after,
        "parts": split(text).count,
        "gateway": default_backend(),
        "unit": unit,
    }
    if notification_id is None:
        message = Message.objects.create(**defaults)
    else:
        message, _created = Message.objects.get_or_create(notification_id=notification_id, defaults=defaults)
    gateway = message.gateway
    transaction.on_commit(lambda: _start_sender(gateway))
    return message
