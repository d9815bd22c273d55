"""The dues ledger: the monthly run, payments with receipts, reductions approved above the branch, arrears."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.dues import actions, queries
from dangjian.services.dues.models import Line, Payment, Reduction
from dangjian.services.registry.actions import set_status

pytestmark = pytest.mark.django_db
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def employed(make_person):
    person = make_person("王干部", category="employed")
    actions.declare_base(actor=None, person=person, valid_from=JAN, base="4500")
    return person


def test_the_run_computes_each_member_by_the_2008_rules(make_person, employed):
    retired = make_person("李退休", category="retired")
    actions.declare_base(actor=None, person=retired, valid_from=date(2025, 1, 1), base="5200")
    farmer = make_person("赵农民", category="farmer")
    student = make_person("钱学生", category="student", stage="probationary", full_member_date=None)
    result = actions.run_month(actor=None, month=JAN)
    assert result.created == 4 and result.missing_base == []
    due = dict(Line.objects.filter(month=JAN).values_list("person__name", "due"))
    assert due == {"王干部": Decimal("45.00"), "李退休": Decimal("52.00"), "赵农民": Decimal("0.20"),
                   "钱学生": Decimal("0.20")}  # fmt: skip
    assert {farmer.pk, student.pk} <= set(Line.objects.values_list("person", flat=True))


def test_a_second_run_changes_nothing(employed):
    actions.run_month(actor=None, month=JAN)
    records = AuditRecord.objects.count()
    again = actions.run_month(actor=None, month=JAN)
    assert again.created == 0 and again.existing == 1
    assert Line.objects.count() == 1
    assert AuditRecord.objects.count() == records, "a scheduled run that wrote nothing leaves no audit record"


def test_a_based_member_without_a_base_is_reported_not_guessed(make_person):
    person = make_person("孙无基数", category="employed")
    result = actions.run_month(actor=None, month=JAN)
    assert result.missing_base == [person.pk] and not Line.objects.exists()


def test_members_who_left_or_joined_later_owe_nothing_that_month(make_person, employed):
    gone = make_person("周转出")
    set_status(actor=None, person=gone, status="transferred_out")
    make_person("吴新人", joined_date=date(2026, 2, 10), full_member_date=None, stage="probationary")
    actions.run_month(actor=None, month=JAN)
    assert list(Line.objects.values_list("person__name", flat=True)) == ["王干部"]
    actions.run_month(actor=None, month=FEB)
    assert Line.objects.filter(month=FEB).count() == 2


def test_a_new_base_recomputes_the_unpaid_months_from_its_month(employed):
    for m in (JAN, FEB, MAR):
        actions.run_month(actor=None, month=m)
    actions.record_payment(actor=None, person=employed, amount="45", method="cash", paid_on=FEB)
    actions.declare_base(actor=None, person=employed, valid_from=JAN, base="6000")
    dues = dict(Line.objects.values_list("month", "due"))
    assert dues == {JAN: Decimal("45.00"), FEB: Decimal("90.00"), MAR: Decimal("90.00")}  # January was paid


def test_a_payment_settles_the_oldest_months_and_gets_the_next_receipt(employed, branches):
    for m in (JAN, FEB, MAR):
        actions.run_month(actor=None, month=m)
    first = actions.record_payment(actor=None, person=employed, amount="60", method="cash", paid_on=MAR)
    second = actions.record_payment(actor=None, person=employed, amount="30", method="online", paid_on=MAR)
    assert (first.receipt, second.receipt) == ("B1-2026-000001", "B1-2026-000002")
    paid = dict(Line.objects.values_list("month", "paid"))
    assert paid == {JAN: Decimal("45.00"), FEB: Decimal("45.00"), MAR: Decimal("0.00")}


def test_paying_more_than_is_owed_is_refused_and_nothing_is_stored(employed):
    actions.run_month(actor=None, month=JAN)
    with pytest.raises(ValidationError) as exc:
        actions.record_payment(actor=None, person=employed, amount="50", method="cash", paid_on=JAN)
    assert "自愿多交" in str(exc.value)
    assert not Payment.objects.exists() and Line.objects.get().paid == 0


def test_a_voluntary_extra_is_kept_apart_from_the_dues(employed):
    actions.run_month(actor=None, month=JAN)
    payment = actions.record_payment(actor=None, person=employed, amount="45", extra="100", method="bank",
                                     paid_on=JAN)  # fmt: skip
    assert payment.total == Decimal("145.00") and Line.objects.get().owed == 0


@pytest.mark.parametrize("bad", [{"amount": "-1"}, {"amount": "abc"}, {"method": "cheque"}, {"amount": "0"},
                                 {"paid_on": date(2099, 1, 1)}])  # fmt: skip
def test_bad_payments_are_refused_with_a_reason(employed, bad):
    actions.run_month(actor=None, month=JAN)
    values = {"amount": "10", "method": "cash", "paid_on": JAN, **bad}
    with pytest.raises(ValidationError):
        actions.record_payment(actor=None, person=employed, **values)
    assert not Payment.objects.exists()


def test_only_the_committee_above_the_branch_approves_a_reduction(employed, make_user, branches):
    actions.run_month(actor=None, month=JAN)
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    with pytest.raises(PermissionDenied):
        actions.grant_reduction(actor=secretary, person=employed, first_month=JAN, last_month=MAR,
                                monthly_amount=0, reason="重病")  # fmt: skip
    org = make_user("org", (RoleKind.ORG_ADMIN, branches["t1"]))
    reduction = actions.grant_reduction(actor=org, person=employed, first_month=JAN, last_month=FEB,
                                        monthly_amount="5", reason="家庭困难")  # fmt: skip
    assert reduction.approving_unit == branches["v1"]
    assert Line.objects.get(month=JAN).owed == Decimal("5.00")
    actions.run_month(actor=None, month=FEB)
    actions.run_month(actor=None, month=MAR)
    assert dict(Line.objects.values_list("month", "reduction")) == {
        JAN: Decimal("40.00"),
        FEB: Decimal("40.00"),
        MAR: Decimal("0.00"),
    }
    assert AuditRecord.objects.filter(verb="dues.grant_reduction").count() == 1
    assert Reduction.objects.count() == 1


def test_six_unpaid_months_in_a_row_are_flagged_five_are_not(make_person, make_user, branches):
    make_person("欠六月")
    five = make_person("欠五月")
    for i in range(7, 13):
        actions.run_month(actor=None, month=date(2025, i, 1))
    actions.record_payment(actor=None, person=five, amount="0.20", method="cash", paid_on=date(2025, 12, 1))
    org = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    rows = {r.name: r for r in queries.arrears(org, branches["county"], today=date(2026, 1, 15))}
    assert rows["欠六月"].months == 6 and rows["欠六月"].lapsed and rows["欠六月"].owed == Decimal("1.20")
    assert rows["欠五月"].months == 5 and not rows["欠五月"].lapsed


def test_the_ledger_rolls_up_from_branch_to_county(make_person, make_user, branches):
    make_person("甲")
    make_person("乙", branch=branches["b2"])
    make_person("丙", branch=branches["b2"])
    actions.run_month(actor=None, month=JAN)
    org = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    assert queries.month_totals(org, branches["county"], JAN).due == Decimal("0.60")
    assert queries.month_totals(org, branches["t2"], JAN).members == 2
    assert [(u.code, t.members) for u, t in queries.branch_totals(org, branches["county"], JAN)] == [
        ("B1", 1),
        ("B2", 2),
    ]
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    assert queries.month_totals(secretary, branches["county"], JAN).members == 1


def test_a_secretary_cannot_run_or_record_outside_their_branch(make_person, make_user, branches):
    other = make_person("乙", branch=branches["b2"])
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    with pytest.raises(PermissionDenied):
        actions.run_month(actor=secretary, month=JAN, unit=branches["b2"])
    actions.run_month(actor=None, month=JAN)
    with pytest.raises(PermissionDenied):
        actions.record_payment(actor=secretary, person=other, amount="0.2", method="cash", paid_on=JAN)


def test_the_scheduled_task_computes_the_current_month_once(make_person):
    from django.utils import timezone

    from dangjian.config.schedule import SCHEDULE
    from dangjian.services.dues.tasks import run_current_month

    assert any(job.task == "dangjian.services.dues.tasks.run_current_month" for job in SCHEDULE)
    make_person("张三")
    assert run_current_month.call() == {"created": 1, "existing": 0, "missing_base": 0}
    assert run_current_month.call()["created"] == 0
    assert Line.objects.get().month == timezone.localdate().replace(day=1)
