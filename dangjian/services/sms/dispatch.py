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
from concurrent.futures import Future, ThreadPoolExecutor
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
NOT_FINAL = (MessageState.QUEUED, MessageState.SUBMITTING, MessageState.SUBMITTED)
# Added to the update that makes a row final: its body becomes its body_after_delivery when it has one (the rule
# of the core outbox's notifications, kept by the message the notification became).
FORGET_SECRET = {
    "body": Case(When(body_after_delivery="", then=F("body")), default=F("body_after_delivery")),
    "body_after_delivery": Value(""),
}
UPDATE_CHUNK = 500
# Receipts marked per statement on SQLite: two parameters each, well under the 32,766 a statement may have
# (SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32).
MARK_CHUNK = 5000


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


def claim(gateway: str, size: int) -> list[Outgoing]:
    """The next `size` due rows, now `submitting` (committed on return): one `UPDATE … WHERE id IN (the due rows,
    locked, skipping rows another sender holds) RETURNING` instead of a SELECT and an UPDATE of their ids."""
    now = timezone.now()
    qs = due(gateway, now).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    table = connection.ops.quote_name(Message._meta.db_table)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        due_sql, due_params = qs.values("id")[:size].query.sql_with_params()  # FOR UPDATE compiles in a transaction
        cursor.execute(
            f"UPDATE {table} SET state = %s, claimed_at = %s, attempts = attempts + 1"  # noqa: S608 (the model's quoted table and Django's SQL)
            f" WHERE state = %s AND id IN ({due_sql}) RETURNING id, mobile, body, body_after_delivery",
            [
                MessageState.SUBMITTING, connection.ops.adapt_datetimefield_value(now), MessageState.QUEUED,
                *due_params,
            ],
        )  # fmt: skip
        rows = sorted(cursor.fetchall())  # RETURNING keeps no order; the batch goes out in the order of the ids
    return [Outgoing(*row) for row in rows]


def record(gateway: str, results: list[Result], receipts: list[Receipt] | None = None) -> None:
    """Store what the gateway answered for a batch. With `receipts` (those read while the batch was out), store
    them too, in the same transaction: a message whose every part has its receipt among them is then written
    once, submitted and final together (by apply_receipts), not submitted first and final a moment later. On
    PostgreSQL every update of a message row writes a new version of it into each of its indexes (the state is
    indexed, so no update of it is HOT): the sender's work is counted in updates of that row."""
    now = timezone.now()
    done, parts = [], []
    retry, failed = [], defaultdict(list)
    in_hand = {r.gateway_id for r in receipts or ()}
    answered = {}  # message id → the gateway's id of its first part, for the messages settled with their receipts
    for r in results:
        parts += [(r.key, i, n) for n, i in enumerate(r.ids, 1)]
        if r.doubt:
            continue
        if r.error:
            (retry.append(r.key) if r.retry else failed[r.error[:100]].append(r.key))
        elif all(i in in_hand for i in r.ids):
            answered[r.key] = r.ids[0]
        else:
            done.append((r.key, r.ids[0]))
    with transaction.atomic(savepoint=False):
        _add_parts(gateway, parts)
        _mark_submitted(done, now)
        Message.objects.filter(id__in=retry, state=MessageState.SUBMITTING).update(
            state=MessageState.QUEUED, claimed_at=None
        )
        for error, keys in failed.items():
            Message.objects.filter(id__in=keys).exclude(state__in=FINAL).update(
                state=MessageState.FAILED, error=error, done_at=now, **FORGET_SECRET
            )
        if receipts:
            written = _apply_receipts(gateway, receipts, answered)[1]
            # A message whose receipts found its parts already final (repeated receipts) is only submitted.
            _mark_submitted([(mid, gid) for mid, gid in answered.items() if mid not in written], now)


# The sender's two writes per message, acknowledgement and receipt, as plain statements of many rows each: model
# instances, bulk_create and bulk_update's CASE of one WHEN per row cost more than the sending itself.


def _values(rows: int, width: int) -> str:
    one = f"({', '.join(['%s'] * width)})"
    return ", ".join([one] * rows)


def _add_parts(gateway: str, parts: list[tuple[int, str, int]], state: str = MessageState.SUBMITTED) -> None:
    """Part rows (message id, gateway id, seq) in `state`; one already recorded for its gateway id stays."""
    table = connection.ops.quote_name(Part._meta.db_table)
    head = f"INSERT INTO {table} (message_id, gateway, gateway_id, seq, state)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and parts:
            ids, gids, seqs = zip(*parts, strict=True)
            cursor.execute(
                f"{head} SELECT m, %s, g, s, %s FROM unnest(%s::bigint[], %s::text[], %s::int[]) AS v(m, g, s)"  # noqa: S608 (placeholders and the model's quoted table)
                " ON CONFLICT DO NOTHING",
                [gateway, state, list(ids), list(gids), list(seqs)],
            )
            return
        for start in range(0, len(parts), UPDATE_CHUNK):
            chunk = parts[start : start + UPDATE_CHUNK]
            cursor.execute(
                f"{head} VALUES {_values(len(chunk), 5)} ON CONFLICT DO NOTHING",
                [x for m, i, n in chunk for x in (m, gateway, i, n, state)],
            )


def _mark_submitted(done: list[tuple[int, str]], now: datetime, *, states=NOT_FINAL) -> None:
    """Rows (id, gateway id) become submitted with their gateway ids, if still in one of `states`: one UPDATE …
    FROM (VALUES …) per chunk on SQLite (≥ 3.33), one UPDATE … FROM unnest(two arrays) on PostgreSQL. The
    condition is checked by the UPDATE itself: a row a provider's push settled between the gateway's answer and
    now (matched as in doubt, by its number) keeps its receipt."""
    if not done:
        return
    table = connection.ops.quote_name(Message._meta.db_table)
    among = ", ".join(["%s"] * len(states))
    stamp = connection.ops.adapt_datetimefield_value(now)
    head = f"UPDATE {table} SET state = %s, submitted_at = %s, gateway_id = v.column2"  # noqa: S608 (the model's quoted table)
    where = f"WHERE {table}.id = v.column1 AND {table}.state IN ({among})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two array parameters instead of two per row: psycopg renders client-side parameters in Python, and
            # a statement of a thousand placeholders cost more to build and parse than to run.
            ids, gids = zip(*done, strict=True)
            cursor.execute(
                f"{head} FROM unnest(%s::bigint[], %s::text[]) AS v(column1, column2) {where}",
                [MessageState.SUBMITTED, stamp, list(ids), list(gids), *states],
            )
            return
        for start in range(0, len(done), UPDATE_CHUNK):
            chunk = done[start : start + UPDATE_CHUNK]
            cursor.execute(
                f"{head} FROM (VALUES {_values(len(chunk), 2)}) AS v {where}",
                [MessageState.SUBMITTED, stamp, *(x for row in chunk for x in row), *states],
            )


def _mark_parts(gateway: str, states: dict[str, str]) -> dict[str, int]:
    """Parts still `submitted` take the state of their receipt (gateway id → state), in one statement (per
    MARK_CHUNK on SQLite); returns gateway id → message id of the parts marked. A part already final (a repeated
    receipt) and an id never recorded are not."""
    if not states:
        return {}
    table = connection.ops.quote_name(Part._meta.db_table)
    head = f"UPDATE {table} SET state = v.column2"  # noqa: S608 (the model's quoted table)
    where = (
        f"WHERE {table}.gateway = %s AND {table}.gateway_id = v.column1 AND {table}.state = %s"
        " RETURNING gateway_id, message_id"
    )
    marked: dict[str, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            gids, finals = zip(*states.items(), strict=True)
            cursor.execute(
                f"{head} FROM unnest(%s::text[], %s::text[]) AS v(column1, column2) {where}",
                [list(gids), list(finals), gateway, MessageState.SUBMITTED],
            )
            return dict(cursor.fetchall())
        items = list(states.items())
        for start in range(0, len(items), MARK_CHUNK):
            chunk = items[start : start + MARK_CHUNK]
            cursor.execute(
                f"{head} FROM (VALUES {_values(len(chunk), 2)}) AS v {where}",
                [*(x for row in chunk for x in row), gateway, MessageState.SUBMITTED],
            )
            marked.update(cursor.fetchall())
    return marked


def apply_receipts(gateway: str, receipts: list[Receipt]) -> int:
    """Mark parts and messages from receipts; idempotent (a repeated receipt changes nothing). Returns how many
    receipts matched a message."""
    return _apply_receipts(gateway, receipts, {})[0]


def _apply_receipts(gateway: str, receipts: list[Receipt], answered: dict[int, str]) -> tuple[int, set[int]]:
    """apply_receipts, also returning the ids of the messages written. `answered`: messages the gateway has just
    answered and `record` has not marked submitted (message id → gateway id of its first part): their update
    here also records the answer."""
    if not receipts:
        return 0, set()
    now = timezone.now()
    matched = 0
    with transaction.atomic(savepoint=False):
        by_id = {r.gateway_id: r for r in receipts}
        # gateway id → message id, of the parts this settles (a repeated receipt finds its part final: not here)
        marked = _mark_parts(gateway, {gid: r.state for gid, r in by_id.items()})
        rest = [gid for gid in by_id if gid not in marked]
        recorded = set(Part.objects.filter(gateway=gateway, gateway_id__in=rest).values_list("gateway_id", flat=True))
        # A receipt for an id we never recorded: the answer to a submit_sm in doubt, matched to the oldest row in
        # doubt of its number (each such row to one receipt). The rows in doubt are read once for all of them.
        unknown = {gid: by_id[gid] for gid in rest if gid not in recorded}
        if unknown:
            doubts = defaultdict(list)
            mobiles = {r.mobile for r in unknown.values() if r.mobile}
            in_doubt = Message.objects.filter(gateway=gateway, state=MessageState.SUBMITTING, mobile__in=mobiles)
            for mid, mobile in in_doubt.order_by("claimed_at", "id").values_list("id", "mobile"):
                doubts[mobile].append(mid)
            settled = []
            for gid, r in unknown.items():
                if not doubts[r.mobile]:
                    logger.info("receipt %s for %s matches no message", gid, r.mobile or "?")
                    continue
                settled.append((doubts[r.mobile].pop(0), gid))
            for final in {by_id[gid].state for _mid, gid in settled}:  # their parts are written as the receipts say
                _add_parts(gateway, [(mid, gid, 0) for mid, gid in settled if by_id[gid].state == final], final)
            _mark_submitted(settled, now, states=(MessageState.SUBMITTING,))
            marked |= {gid: mid for mid, gid in settled}
        fresh = defaultdict(list)
        for gid, mid in marked.items():
            fresh[mid].append(by_id[gid])
        # One UPDATE of every message the receipts settle, each with its own new values, not one per message.
        rows, secret = [], []
        messages = Message.objects.filter(id__in=list(fresh)).values_list(
            "id", "parts", "parts_done", "state", "body_after_delivery"
        )
        for mid, parts, parts_done, state, after in messages:
            rs = fresh[mid]
            matched += len(rs)
            parts_done = parts if any(r.whole for r in rs) else min(parts, parts_done + len(rs))
            error = None
            bad = [r for r in rs if r.state != MessageState.DELIVERED]
            if bad and state not in (MessageState.FAILED, MessageState.EXPIRED):
                state, error = bad[0].state, bad[0].reason[:100]
            finished = parts_done >= parts
            if finished:
                if state not in (MessageState.FAILED, MessageState.EXPIRED):
                    state = MessageState.DELIVERED
            elif state == MessageState.SUBMITTING:
                state = MessageState.SUBMITTED
            rows.append((mid, parts_done, state, error, finished, answered.get(mid)))
            if after and state in FINAL:
                secret.append(mid)
        _settle(rows, now)
        if secret:
            Message.objects.filter(id__in=secret).update(**FORGET_SECRET)
    return matched, {row[0] for row in rows}


def _settle(rows: list[tuple[int, int, str, str | None, bool, str | None]], now: datetime) -> None:
    """Rows (id, parts done, state, error or None to keep it, finished, gateway id or None to keep it) take their
    values in one statement (UPDATE … FROM unnest(arrays) on PostgreSQL, FROM (VALUES …) per chunk on SQLite); a
    row given a gateway id is also stamped submitted now, a finished one done now."""
    if not rows:
        return
    table = connection.ops.quote_name(Message._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)

    def update(source: str) -> str:
        return (
            f"UPDATE {table} SET parts_done = v.column2, state = v.column3,"  # noqa: S608 (the model's quoted table)
            f" error = COALESCE(v.column4, {table}.error), done_at = CASE WHEN v.column5 THEN %s ELSE {table}.done_at"
            f" END, gateway_id = COALESCE(v.column6, {table}.gateway_id),"
            f" submitted_at = CASE WHEN v.column6 IS NULL THEN {table}.submitted_at ELSE %s END"
            f" FROM {source} WHERE {table}.id = v.column1"
        )

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = "unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::bool[], %s::text[])"
            columns = "v(column1, column2, column3, column4, column5, column6)"
            cursor.execute(
                update(f"{arrays} AS {columns}"), [stamp, stamp, *(list(c) for c in zip(*rows, strict=True))]
            )
            return
        for start in range(0, len(rows), UPDATE_CHUNK):
            chunk = rows[start : start + UPDATE_CHUNK]
            cursor.execute(
                update(f"(VALUES {_values(len(chunk), 6)}) AS v"), [stamp, stamp, *(x for row in chunk for x in row)]
            )


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


def handle(
    gateway: Gateway, events: list[Receipt | InboundText], *, ack: bool = True, results: list[Result] | None = None
) -> None:
    """Store receipts and inbound messages, then acknowledge them to the gateway (with `ack`; otherwise the
    caller acknowledges them later, with the gateway's next `ack()`). With `results`, the answers to the batch the
    events came with are recorded first, together with its receipts (`record`)."""
    from dangjian.services.sms import actions

    receipts = [e for e in events if isinstance(e, Receipt)]
    if results is not None:
        record(gateway.name, results, receipts)
    else:
        apply_receipts(gateway.name, receipts)
    for e in events:
        if isinstance(e, InboundText):
            actions.receive_inbound(mobile=e.mobile, text=e.text, gateway=gateway.name, ref=e.ref)
    if ack:
        gateway.ack()


def _release(batch: list[Outgoing]) -> None:
    """A claimed batch that was never sent (the sending stopped before it): back to the queue."""
    Message.objects.filter(id__in=[m.key for m in batch], state=MessageState.SUBMITTING).update(
        state=MessageState.QUEUED, claimed_at=None
    )


def run(gateway: Gateway | None = None, *, forever: bool = False, linger: float = 2.0, stop=None) -> dict[str, int]:
    """Send until nothing is due and nothing is in doubt for `linger` seconds (or for ever, as `dangjian sms worker`
    does); returns counts.

    One batch is on the wire while the database records the batch before it, stores the receipts that came with
    it and claims the next: `gateway.submit` runs on a thread of its own (gateways touch no database; socket and
    HTTP I/O release the GIL), every statement stays on this thread and its connection. The order of the writes is
    the order without the overlap: a batch is claimed and committed before it is handed to the wire, recorded
    before the receipts read with it are stored, and those are acknowledged (`gateway.ack`) only once stored, when
    the gateway is idle between two batches."""
    gateway = gateway or make_gateway()
    sent = 0
    idle_since = None
    started = time.monotonic()
    # Bind first, without waiting: the receipts the SMSC kept for us (they settle rows a previous sender left in
    # doubt) are taken between batches as they come; the rows they settle stay `submitting`, never claimed again,
    # until DANGJIAN_SMS_DOUBT_SECONDS have passed.
    handle(gateway, gateway.poll(0))
    wire = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sms-{gateway.name}")
    flying: Future[list[Result]] | None = None

    def land(claimed: list[Outgoing]) -> tuple[list[Result], list[Receipt | InboundText]]:
        """Wait for the batch on the wire; then, the gateway idle, acknowledge what was stored and take what came."""
        nonlocal flying
        assert flying is not None
        try:
            results = flying.result()
        except BaseException:
            _release(claimed)
            raise
        finally:
            flying = None
        gateway.ack()
        return results, gateway.poll(0)

    try:
        batch = claim(gateway.name, batch_size(gateway))
        while stop is None or not stop.is_set():
            landed = land(batch) if flying is not None else None
            if batch:
                idle_since = None
                if gateway.rate:
                    wait = started + (sent + len(batch)) / gateway.rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                flying = wire.submit(gateway.submit, batch)
                sent += len(batch)
            # One commit for the batch that landed (recorded, its receipts stored: acknowledged when the gateway is
            # next idle) and the batch after the one on the wire (claimed): a commit waits for the disk, about as
            # long as a statement of a thousand rows, and it still precedes the claimed batch's first byte. Inside
            # it claim, record and apply_receipts take no savepoints (two more round trips each): a failure rolls
            # back the whole.
            with transaction.atomic():
                if landed is not None:
                    handle(gateway, landed[1], ack=False, results=landed[0])
                following = claim(gateway.name, batch_size(gateway))
            if batch or following:
                batch = following
                continue
            idle_since = idle_since or time.monotonic()
            lingered = time.monotonic() - idle_since
            handle(gateway, gateway.poll(0.2 if forever else min(0.2, max(linger - lingered, 0))))
            expire(gateway.name)
            finish_campaigns()
            in_doubt = Message.objects.filter(gateway=gateway.name, state=MessageState.SUBMITTING).exists()
            if not forever and not in_doubt and time.monotonic() - idle_since >= linger:
                break
            if in_doubt:
                time.sleep(0.2)
            if time.monotonic() - started >= doubt_seconds():
                recover(gateway.name)  # only here, nothing on the wire or claimed: those rows are `submitting` too
            batch = claim(gateway.name, batch_size(gateway))
        if flying is not None:  # stopped with a batch on the wire
            results, events = land(batch)
            handle(gateway, events, results=results)
        _release(batch)  # stopped with a batch claimed for after it: never sent
    finally:
        wire.shutdown(wait=True)
        gateway.close()
    return {"sent": sent}


def batch_size(gateway: Gateway) -> int:
    """The gateway's batch, at most one second's worth under a rate limit: the batches are spaced to the rate, so a
    batch is the largest burst the SMSC sees."""
    if gateway.rate:
        return max(1, min(gateway.batch_size, int(gateway.rate)))
    return gateway.batch_size
