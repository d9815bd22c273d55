"""The sender: claims due outbox rows, submits them through a gateway, records the answers and the receipts.

At most once, and nothing lost:
- a batch is claimed (queued → submitting) and committed before its first byte goes to the gateway;
- the gateway's message ids are committed as soon as the batch is answered (submitting → submitted);
- a row still `submitting` whose sender died or lost the connection is "in doubt": the SMSC may hold it. The SMSC
  sends a delivery receipt for every message it accepted (we ask for one, SMPP 3.4 §5.2.17), also to the next
  session when the first is gone; a receipt whose id we never recorded is matched to the in-doubt row of its
  number. A row in doubt for longer than DANGJIAN_SMS_DOUBT_SECONDS without a receipt was never accepted and goes
  back to the queue. The window must exceed the SMSC's receipt latency (a trade-off: docs/sms.md).
One sender per gateway at a time (the rate limit is per sender).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from dangjian.services.sms import conf
from dangjian.services.sms.gateways import Gateway, InboundText, Outgoing, Receipt, Result, make_gateway
from dangjian.services.sms.models import Campaign, CampaignState, Message, MessageState, Part

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
FINAL = (MessageState.DELIVERED, MessageState.FAILED, MessageState.EXPIRED)
# Added to the update that makes a row final: its body becomes its body_after_delivery when it has one (the rule
# of the core outbox's notifications, kept by the message the notification became).
FORGET_SECRET = {
    "body": Case(When(body_after_delivery="", then=F("body")), default=F("body_after_delivery")),
    "body_after_delivery": Value(""),
}


def in_quiet_hours(at: datetime) -> bool:
    """22:00–08:00 in the county by default (DANGJIAN_SMS_QUIET_HOURS = (22, 8))."""
    start, end = conf.quiet_hours()
    hour = at.astimezone(SHANGHAI).hour
    return hour >= start or hour < end if start > end else start <= hour < end


def due(gateway: str, now: datetime):
    sending = Q(campaign__state=CampaignState.SENDING) & (
        Q(campaign__scheduled_at__isnull=True) | Q(campaign__scheduled_at__lte=now)
    )
    if in_quiet_hours(now):
        sending &= Q(campaign__urgent=True)
    return Message.objects.filter(Q(campaign__isnull=True) | sending, state=MessageState.QUEUED, gateway=gateway)


def claim(gateway: str, size: int) -> list[Message]:
    now = timezone.now()
    with transaction.atomic():
        qs = due(gateway, now).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.only("id", "mobile", "body", "body_after_delivery")[:size])
        Message.objects.filter(id__in=[m.id for m in rows], state=MessageState.QUEUED).update(
            state=MessageState.SUBMITTING, claimed_at=now, attempts=F("attempts") + 1
        )
    return rows


def record(gateway: str, results: list[Result]) -> None:
    now = timezone.now()
    done, parts = [], []
    retry, failed = [], defaultdict(list)
    for r in results:
        if r.ids:
            parts += [Part(message_id=r.key, gateway=gateway, gateway_id=i, seq=n) for n, i in enumerate(r.ids, 1)]
        if r.doubt:
            continue
        if r.error:
            (retry.append(r.key) if r.retry else failed[r.error[:100]].append(r.key))
        else:
            done.append(Message(id=r.key, state=MessageState.SUBMITTED, gateway_id=r.ids[0], submitted_at=now))
    with transaction.atomic():
        Part.objects.bulk_create(parts, ignore_conflicts=True)
        # A provider's push may have settled a row between the gateway's answer and now (matched as in doubt, by
        # its number): a settled row keeps its receipt.
        answered = Message.objects.filter(id__in=[m.id for m in done]).exclude(state__in=FINAL)
        unsettled = set(answered.select_for_update().values_list("id", flat=True))
        done = [m for m in done if m.id in unsettled]
        Message.objects.bulk_update(done, ["state", "gateway_id", "submitted_at"], batch_size=500)
        Message.objects.filter(id__in=retry, state=MessageState.SUBMITTING).update(
            state=MessageState.QUEUED, claimed_at=None
        )
        for error, keys in failed.items():
            Message.objects.filter(id__in=keys).exclude(state__in=FINAL).update(
                state=MessageState.FAILED, error=error, done_at=now, **FORGET_SECRET
            )


def apply_receipts(gateway: str, receipts: list[Receipt]) -> int:
    """Mark parts and messages from receipts; idempotent (a repeated receipt changes nothing). Returns how many
    receipts matched a message."""
    if not receipts:
        return 0
    now = timezone.now()
    matched = 0
    with transaction.atomic():
        by_id = {r.gateway_id: r for r in receipts}
        known = {p.gateway_id: p for p in Part.objects.filter(gateway=gateway, gateway_id__in=list(by_id))}
        new_parts = []
        for gid, r in by_id.items():
            if gid in known:
                continue
            # A receipt for an id we never recorded: the answer to a submit_sm in doubt.
            in_doubt = Message.objects.filter(gateway=gateway, state=MessageState.SUBMITTING, mobile=r.mobile)
            doubt = in_doubt.order_by("claimed_at", "id").first() if r.mobile else None
            if doubt is None:
                logger.info("receipt %s for %s matches no message", gid, r.mobile or "?")
                continue
            part = Part(message=doubt, gateway=gateway, gateway_id=gid, seq=0)
            new_parts.append(part)
            known[gid] = part
            Message.objects.filter(pk=doubt.pk, state=MessageState.SUBMITTING).update(
                state=MessageState.SUBMITTED, gateway_id=gid, submitted_at=now
            )
        Part.objects.bulk_create(new_parts, ignore_conflicts=True)
        fresh = defaultdict(list)
        for gid, part in known.items():
            if part.state == MessageState.SUBMITTED or part.pk is None:
                fresh[part.message_id].append(by_id[gid])
        ids = [gid for rs in fresh.values() for gid in (r.gateway_id for r in rs)]
        for state in FINAL:
            these = [g for g in ids if by_id[g].state == state]
            Part.objects.filter(gateway=gateway, gateway_id__in=these, state=MessageState.SUBMITTED).update(state=state)
        messages = Message.objects.in_bulk(list(fresh))
        changed = []
        for mid, rs in fresh.items():
            m = messages[mid]
            matched += len(rs)
            m.parts_done = m.parts if any(r.whole for r in rs) else min(m.parts, m.parts_done + len(rs))
            bad = [r for r in rs if r.state != MessageState.DELIVERED]
            if bad and m.state not in (MessageState.FAILED, MessageState.EXPIRED):
                m.state, m.error = bad[0].state, bad[0].reason[:100]
            if m.parts_done >= m.parts:
                if m.state not in (MessageState.FAILED, MessageState.EXPIRED):
                    m.state = MessageState.DELIVERED
                m.done_at = now
            elif m.state == MessageState.SUBMITTING:
                m.state = MessageState.SUBMITTED
            changed.append(m)
        Message.objects.bulk_update(changed, ["parts_done", "state", "error", "done_at"], batch_size=500)
        secret = [m.id for m in changed if m.state in FINAL and m.body_after_delivery]
        if secret:
            Message.objects.filter(id__in=secret).update(**FORGET_SECRET)
    return matched


def doubt_seconds() -> float:
    return conf.number("DANGJIAN_SMS_DOUBT_SECONDS", 600)


def recover(gateway: str) -> int:
    """Resolve rows in doubt for longer than the receipt window: back to the queue if nothing of them was accepted."""
    window = timedelta(seconds=doubt_seconds())
    stale = Message.objects.filter(
        gateway=gateway, state=MessageState.SUBMITTING, claimed_at__lt=timezone.now() - window
    )
    with transaction.atomic():
        seen = Exists(Part.objects.filter(message=OuterRef("pk")))
        partly = stale.filter(seen).update(state=MessageState.SUBMITTED)
        back = stale.filter(~seen).update(state=MessageState.QUEUED, claimed_at=None)
    if back or partly:
        logger.warning("%s rows in doubt requeued, %s partly accepted kept as submitted", back, partly)
    return back


def expire(gateway: str) -> int:
    """Submitted rows without a receipt after DANGJIAN_SMS_EXPIRE_HOURS (48) are expired."""
    limit = timezone.now() - timedelta(hours=conf.number("DANGJIAN_SMS_EXPIRE_HOURS", 48))
    return Message.objects.filter(gateway=gateway, state=MessageState.SUBMITTED, submitted_at__lt=limit).update(
        state=MessageState.EXPIRED, error="no receipt", done_at=timezone.now(), **FORGET_SECRET
    )


def finish_campaigns() -> int:
    open_rows = Message.objects.filter(
        campaign=OuterRef("pk"), state__in=[MessageState.QUEUED, MessageState.SUBMITTING]
    )
    return (
        Campaign.objects.filter(state=CampaignState.SENDING)
        .exclude(Exists(open_rows))
        .update(state=CampaignState.DONE, finished_at=timezone.now())
    )


def handle(gateway: Gateway, events: list[Receipt | InboundText]) -> None:
    """Store receipts and inbound messages, then acknowledge them to the gateway."""
    from dangjian.services.sms import actions

    apply_receipts(gateway.name, [e for e in events if isinstance(e, Receipt)])
    for e in events:
        if isinstance(e, InboundText):
            actions.receive_inbound(mobile=e.mobile, text=e.text, gateway=gateway.name, ref=e.ref)
    gateway.ack()


def run(gateway: Gateway | None = None, *, forever: bool = False, linger: float = 2.0, stop=None) -> dict[str, int]:
    """Send until nothing is due (or for ever, as `dangjian sms worker` does); returns counts."""
    gateway = gateway or make_gateway()
    sent = 0
    idle_since = None
    started = time.monotonic()
    # Bind first and take the receipts the SMSC kept for us: they settle rows a previous sender left in doubt.
    handle(gateway, gateway.poll(0.5))
    try:
        while stop is None or not stop.is_set():
            if time.monotonic() - started >= doubt_seconds():
                recover(gateway.name)
            batch = claim(gateway.name, gateway.batch_size)
            if batch:
                idle_since = None
                if gateway.rate:
                    wait = started + (sent + len(batch)) / gateway.rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                outgoing = [Outgoing(m.id, m.mobile, m.body, m.body_after_delivery) for m in batch]
                record(gateway.name, gateway.submit(outgoing))
                sent += len(batch)
            handle(gateway, gateway.poll(0 if batch else 0.2))
            if batch:
                continue
            expire(gateway.name)
            finish_campaigns()
            idle_since = idle_since or time.monotonic()
            in_doubt = Message.objects.filter(gateway=gateway.name, state=MessageState.SUBMITTING).exists()
            if not forever and not in_doubt and time.monotonic() - idle_since >= linger:
                break
            if in_doubt:
                time.sleep(0.2)
    finally:
        gateway.close()
    return {"sent": sent}
