"""The audit chain: one record per action, each carrying the hash of the one before it; append-only in the database."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from dangjian.core import actions, audit
from dangjian.core.models import AuditHead, AuditRecord, RoleKind, Unit, UnitKind


def verify_command() -> str:
    """`dangjian audit verify`: its output when the chain is intact; raises CommandError when it is not."""
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def lift_append_only() -> None:
    """What a tamperer with database access would do first (rolled back with the test's transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER core_auditrecord_append_only ON core_auditrecord")
        else:
            cursor.execute("DROP TRIGGER core_auditrecord_no_update")
            cursor.execute("DROP TRIGGER core_auditrecord_no_delete")


def chain() -> list[AuditRecord]:
    return list(AuditRecord.objects.order_by("seq"))


# --- what a record holds ---------------------------------------------------------------------------------------


def test_creating_a_unit_leaves_exactly_one_record_with_who_what_and_where(tree, make_user):
    clerk = make_user("clerk", (RoleKind.ORG_ADMIN, tree["county"]))
    before = AuditRecord.objects.count()
    unit = actions.create_unit(actor=clerk, code="V3", name="富城村", kind=UnitKind.VILLAGE, parent=tree["t1"])
    assert AuditRecord.objects.count() == before + 1
    rec = AuditRecord.objects.latest("seq")
    assert rec.actor == clerk and rec.actor_name == "clerk"
    assert rec.unit == unit
    assert rec.verb == "unit.create"
    assert (rec.object_type, rec.object_id, rec.object_repr) == ("core.unit", str(unit.pk), "富城村")
    assert rec.before is None
    assert rec.after == {"code": "V3", "name": "富城村", "kind": "village"}


def test_assigning_and_revoking_a_role_records_after_and_before(tree, make_user):
    member = make_user("member")
    boss = make_user("boss", (RoleKind.ORG_ADMIN, tree["county"]))
    role = actions.assign_role(actor=boss, user=member, unit=tree["t2"], kind=RoleKind.RESPONDER)
    assigned = AuditRecord.objects.latest("seq")
    assert (assigned.verb, assigned.actor, assigned.unit) == ("role.assign", boss, tree["t2"])
    assert assigned.after == {"user": member.pk, "kind": "responder"}
    # Assigning the same role again changes nothing and records nothing.
    actions.assign_role(actor=boss, user=member, unit=tree["t2"], kind=RoleKind.RESPONDER)
    assert AuditRecord.objects.latest("seq") == assigned

    actions.revoke_role(actor=boss, role=role)
    revoked = AuditRecord.objects.latest("seq")
    assert revoked.seq == assigned.seq + 1
    assert revoked.verb == "role.revoke"
    assert revoked.before == {"user": member.pk, "kind": "responder", "unit": tree["t2"].pk}
    assert revoked.after is None


def test_a_refused_action_leaves_no_record(tree):
    before = AuditRecord.objects.count()
    with pytest.raises(ValidationError):
        actions.create_unit(actor=None, code="T1", name="重复", kind=UnitKind.TOWNSHIP, parent=tree["county"])
    assert AuditRecord.objects.count() == before


def test_a_record_carries_the_role_it_was_done_in(tree, make_user):
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    rec = audit.record(
        actor=head, role=RoleKind.UNIT_HEAD, unit=tree["t1"], verb="letter.sign_off", obj=tree["v1"],
        before={"state": "drafted"}, after={"state": "signed"},
    )  # fmt: skip
    rec.refresh_from_db()
    assert (rec.role, rec.unit, rec.verb) == ("unit_head", tree["t1"], "letter.sign_off")
    assert (rec.before, rec.after) == ({"state": "drafted"}, {"state": "signed"})


def test_values_that_are_not_plain_json_are_stored_so_that_the_hash_still_verifies(db):
    rec = audit.record(
        actor=None, actor_name="系统", verb="dues.pay",
        after={"amount": Decimal("12.50"), "at": datetime(2026, 2, 13, 17, 0, tzinfo=UTC), "名称": "党费 “一月”"},
    )  # fmt: skip
    stored = AuditRecord.objects.get(pk=rec.pk)
    assert stored.after == {"amount": "12.50", "at": "2026-02-13T17:00:00Z", "名称": "党费 “一月”"}
    assert audit.verify().ok


# --- the chain -------------------------------------------------------------------------------------------------------


def test_each_record_carries_the_hash_of_the_one_before(tree):
    records = chain()
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert records[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash
    assert len({r.hash for r in records}) == len(records)
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (records[-1].seq, records[-1].hash)


def test_verify_passes_on_an_intact_chain(tree):
    assert verify_command().strip() == f"audit chain intact: {len(chain())} records"


def test_verify_passes_on_an_empty_chain(db):
    assert audit.verify() == audit.VerifyResult(True, 0)


def test_verify_reports_the_first_altered_record(tree):
    lift_append_only()
    AuditRecord.objects.filter(seq=3).update(after={"code": "T2", "name": "篡改镇", "kind": "township"})
    AuditRecord.objects.filter(seq=6).update(actor_name="someone else")
    with pytest.raises(CommandError, match=r"broken at record 3: altered \(2 records before it are intact\)"):
        verify_command()


def test_verify_reports_an_altered_time(tree):
    lift_append_only()
    AuditRecord.objects.filter(seq=5).update(at=datetime(2020, 1, 1, tzinfo=UTC))
    assert audit.verify() == audit.VerifyResult(False, 4, 5, "altered")


def test_verify_reports_a_record_whose_hash_was_recomputed_as_a_broken_link(tree):
    lift_append_only()
    r = AuditRecord.objects.get(seq=4)
    r.verb = "unit.delete"
    new_hash = audit._hash_of(r)
    AuditRecord.objects.filter(seq=4).update(verb="unit.delete", hash=new_hash)
    assert audit.verify() == audit.VerifyResult(False, 4, 5, "broken link")


def test_verify_reports_a_tail_rewritten_with_new_hashes(tree):
    # The last record changed and its hash recomputed: every link holds, only the head tells.
    lift_append_only()
    last = AuditRecord.objects.latest("seq")
    last.object_repr = "另一个站"
    AuditRecord.objects.filter(pk=last.pk).update(object_repr="另一个站", hash=audit._hash_of(last))
    result = audit.verify()
    assert not result.ok
    assert result.first_bad_seq == last.seq
    assert "rewritten" in result.problem


def test_verify_reports_the_first_missing_record(tree):
    lift_append_only()
    AuditRecord.objects.filter(seq__in=[4, 7]).delete()
    with pytest.raises(CommandError, match=r"broken at record 4: missing \(3 records before it are intact\)"):
        verify_command()


def test_verify_reports_a_missing_last_record(tree):
    lift_append_only()
    last = AuditRecord.objects.latest("seq").seq
    AuditRecord.objects.filter(seq=last).delete()
    assert audit.verify() == audit.VerifyResult(False, last - 1, last, "missing")


def test_verify_reports_a_missing_first_record(tree):
    lift_append_only()
    AuditRecord.objects.filter(seq=1).delete()
    assert audit.verify() == audit.VerifyResult(False, 0, 1, "missing")


def test_a_record_appended_while_verify_runs_is_not_reported_missing(tree, monkeypatch):
    real_filter = AuditHead.objects.filter
    appended: list[bool] = []

    def append_then_filter(*args, **kwargs):
        if not appended:  # another request appends between the walk and the reading of the head
            appended.append(True)
            audit.record(actor=None, verb="letter.submit")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(AuditHead.objects, "filter", append_then_filter)
    total = AuditRecord.objects.count()
    assert audit.verify(batch=3).ok
    assert appended and AuditRecord.objects.count() == total + 1
    assert audit.verify() == audit.VerifyResult(True, total + 1)


# --- append-only in the database ----------------------------------------------------------------------------------


def refused(fn) -> bool:
    try:
        with transaction.atomic():
            fn()
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


def test_the_database_refuses_to_update_or_delete_an_audit_record(tree):
    rec = AuditRecord.objects.get(seq=2)
    original = chain()

    def save_changed():
        rec.verb = "unit.delete"
        rec.save()

    def raw(sql: str):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql)

        return run

    assert refused(lambda: AuditRecord.objects.filter(seq=2).update(verb="unit.delete"))
    assert refused(save_changed)
    assert refused(lambda: AuditRecord.objects.get(seq=3).delete())
    assert refused(lambda: AuditRecord.objects.all().delete())
    assert refused(raw("UPDATE core_auditrecord SET actor_name = 'x' WHERE seq = 1"))
    assert refused(raw("DELETE FROM core_auditrecord WHERE seq = 1"))
    if connection.vendor == "postgresql":
        assert refused(raw("TRUNCATE core_auditrecord"))
    assert chain() == original
    assert [(r.verb, r.hash) for r in chain()] == [(r.verb, r.hash) for r in original]
    assert audit.verify().ok


def test_units_the_records_point_to_may_still_be_changed(tree):
    # The triggers guard the audit table only: other rows the records refer to stay editable.
    Unit.objects.filter(pk=tree["v1"].pk).update(name="上坑村（新）")
    assert audit.verify().ok


# --- concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers (one write transaction at a time): nothing can fork")
    threads, per_thread = 8, 25
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(i: int) -> None:
        try:
            start.wait()
            for k in range(per_thread):
                with transaction.atomic():
                    audit.record(actor=None, actor_name=f"worker {i}", verb="test.append", after={"k": k})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=append, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    records = chain()
    assert [r.seq for r in records] == list(range(1, threads * per_thread + 1))
    # A fork would show as two records with the same predecessor.
    assert len({r.prev_hash for r in records}) == len(records)
    assert audit.verify() == audit.VerifyResult(True, threads * per_thread)
