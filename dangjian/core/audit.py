"""The audit chain: one append-only record per action, each carrying the hash of the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from dangjian.core.models import AuditHead, AuditRecord, Unit, User

GENESIS = "0" * 64


def _canonical(value: Any) -> Any:
    """JSON-safe data that round-trips through the database unchanged (so hashes verify after reload)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def record_hash(
    *, seq: int, at: datetime, actor_id, actor_name, role, unit_id, verb, object_type, object_id, object_repr,
    before, after, prev_hash,
) -> str:  # fmt: skip
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "actor_name": actor_name,
        "role": role,
        "unit": unit_id,
        "verb": verb,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "before": before,
        "after": after,
        "prev": prev_hash,
    }
    encoded = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _hash_of(r: AuditRecord) -> str:
    return record_hash(
        seq=r.seq, at=r.at, actor_id=r.actor_id, actor_name=r.actor_name, role=r.role, unit_id=r.unit_id,
        verb=r.verb, object_type=r.object_type, object_id=r.object_id, object_repr=r.object_repr,
        before=r.before, after=r.after, prev_hash=r.prev_hash,
    )  # fmt: skip


def record(
    *,
    actor: User | None,
    verb: str,
    obj: models.Model | None = None,
    unit: Unit | None = None,
    role: str = "",
    before: dict | None = None,
    after: dict | None = None,
    actor_name: str = "",
) -> AuditRecord:
    """Append one record. Call inside the action's transaction; the head row lock serialises writers.

    No savepoint of its own: a record that cannot be written fails the action's whole transaction, which is what
    must happen (an act without its record), and the savepoint's two statements are spared on every act."""
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().get(id=1)
        seq = head.seq + 1
        at = timezone.now()
        fields = dict(
            seq=seq,
            at=at,
            actor_id=actor.pk if actor is not None and actor.pk else None,
            actor_name=actor_name or (actor.get_username() if actor is not None else ""),
            role=role,
            unit_id=unit.pk if unit is not None else None,
            verb=verb,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            object_repr=str(obj)[:200] if obj is not None else "",
            before=_canonical(before),
            after=_canonical(after),
            prev_hash=head.hash,
        )
        digest = record_hash(**fields)
        rec = AuditRecord.objects.create(hash=digest, **fields)
        AuditHead.objects.filter(id=1).update(seq=seq, hash=digest)
        return rec


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(batch: int = 2000) -> VerifyResult:
    """Walk the chain in order; report the first record that was altered, removed or re-ordered.

    The head is read first and the walk stops at its sequence number: records appended while the walk runs are
    left for the next run instead of being reported missing. The last record's hash must equal the head's, so a
    tail rewritten with freshly computed hashes is caught too.
    """
    head = AuditHead.objects.filter(id=1).first()
    records = AuditRecord.objects.all() if head is None else AuditRecord.objects.filter(seq__lte=head.seq)
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = list(records.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for r in rows:
            if r.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "missing")
            if r.prev_hash != prev:
                return VerifyResult(False, checked, r.seq, "broken link")
            if _hash_of(r) != r.hash:
                return VerifyResult(False, checked, r.seq, "altered")
            prev = r.hash
            expected_seq += 1
            checked += 1
            last_seq = r.seq
    if head is not None and head.seq != checked:
        return VerifyResult(False, checked, checked + 1, "missing")
    if head is not None and head.hash != prev:
        # Every link holds but the end differs from the head: records were rewritten with new hashes; which one
        # was changed first cannot be told, so none of them is vouched for.
        return VerifyResult(False, 0, checked, "rewritten (the last hash differs from the chain head)")
    return VerifyResult(True, checked)
