"""组织关系转接: the member moves only when the receiving branch accepts; out of county by a printed letter whose
receipt closes it; receipts overdue after a month are flagged; expired letters are refused."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import actions, queries
from dangjian.services.registry.models import Person, Transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretaries(make_user, branches):
    return (
        make_user("sec1", (RoleKind.BRANCH_SECRETARY, branches["b1"])),
        make_user("sec2", (RoleKind.BRANCH_SECRETARY, branches["b2"])),
    )


def test_the_member_moves_only_when_the_receiving_branch_accepts(make_person, branches, secretaries):
    sender, receiver = secretaries
    person = make_person("张三")
    today = timezone.localdate()
    transfer = actions.issue_transfer(actor=sender, person=person, issued_on=today, to_branch=branches["b2"])
    assert Person.objects.get(pk=person.pk).branch == branches["b1"]
    with pytest.raises(PermissionDenied):
        actions.receive_transfer(actor=sender, transfer=transfer, on=today)
    actions.receive_transfer(actor=receiver, transfer=transfer, on=today)
    assert Person.objects.get(pk=person.pk).branch == branches["b2"]
    transfer.refresh_from_db()
    assert transfer.state == "received" and transfer.received_on == today
    assert AuditRecord.objects.filter(verb="person.move", object_id=str(person.pk)).count() == 1


def test_letters_are_numbered_in_sequence_and_one_open_letter_per_member(make_person, branches):
    a, b = make_person("张三"), make_person("李四")
    today = timezone.localdate()
    first = actions.issue_transfer(actor=None, person=a, issued_on=today, to_branch=branches["b2"])
    second = actions.issue_transfer(actor=None, person=b, issued_on=today, to_organisation="赣州市章贡区某党支部")
    assert (first.number, second.number) == (f"{today.year}-00001", f"{today.year}-00002")
    with pytest.raises(ValidationError):
        actions.issue_transfer(actor=None, person=a, issued_on=today, to_branch=branches["b3"])


def test_an_expired_letter_cannot_be_received(make_person, branches):
    person = make_person("张三")
    issued = timezone.localdate() - timedelta(days=40)
    transfer = actions.issue_transfer(actor=None, person=person, issued_on=issued, to_branch=branches["b2"])
    with pytest.raises(ValidationError, match="过期"):
        actions.receive_transfer(actor=None, transfer=transfer, on=timezone.localdate())
    assert Person.objects.get(pk=person.pk).branch == branches["b1"]


def test_out_of_county_the_returned_receipt_marks_the_member_transferred_out(make_person, secretaries):
    sender, _receiver = secretaries
    person = make_person("张三")
    today = timezone.localdate()
    transfer = actions.issue_transfer(actor=sender, person=person, issued_on=today, to_organisation="瑞金市某支部")
    with pytest.raises(ValidationError):
        actions.receive_transfer(actor=None, transfer=transfer, on=today)
    actions.record_receipt(actor=sender, transfer=transfer, on=today)
    assert Person.objects.get(pk=person.pk).status == "transferred_out"


def test_a_receipt_not_back_within_a_month_is_overdue(make_person, branches, make_user):
    person = make_person("张三")
    issued = date(2026, 1, 31)
    transfer = actions.issue_transfer(actor=None, person=person, issued_on=issued, to_organisation="外县某支部")
    assert transfer.receipt_due == date(2026, 2, 28)
    assert not transfer.is_overdue(date(2026, 2, 28)) and transfer.is_overdue(date(2026, 3, 1))
    org = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    assert list(queries.overdue_transfers(org, today=date(2026, 3, 1))) == [transfer]
    assert not queries.overdue_transfers(org, today=date(2026, 2, 28)).exists()


@pytest.mark.parametrize(
    "bad",
    [{}, {"to_branch": "v1"}, {"to_branch": "b1"}, {"to_branch": "b2", "to_organisation": "x"},
     {"to_branch": "b2", "valid_days": 0}, {"to_branch": "b2", "issued_on": date(2099, 1, 1)}],
)  # fmt: skip
def test_bad_letters_are_refused_and_nothing_is_stored(make_person, branches, bad):
    person = make_person("张三")
    values = {"issued_on": timezone.localdate(), **bad}
    if "to_branch" in values:
        values["to_branch"] = branches[values["to_branch"]]
    with pytest.raises(ValidationError):
        actions.issue_transfer(actor=None, person=person, **values)
    assert not Transfer.objects.exists()


def test_the_pages_issue_receive_and_print_a_letter(staff_client, make_person, branches):
    person = make_person("张三")
    c = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    response = c.post(f"/work/registry/{person.pk}/transfer/",
                      {"to_branch": branches["b2"].pk, "issued_on": timezone.localdate().isoformat(),
                       "valid_days": 30, "reason": "工作调动"})  # fmt: skip
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert "上坑村党支部" in c.get(f"/work/registry/transfers/{transfer.pk}/print/").content.decode()
    assert transfer.number in c.get("/work/registry/transfers/").content.decode()
    response = c.post(f"/work/registry/transfers/{transfer.pk}/",
                      {"act": "receive", "receive-on": timezone.localdate().isoformat()})  # fmt: skip
    assert response.status_code == 302
    assert Person.objects.get(pk=person.pk).branch == branches["b2"]


def test_the_receiving_secretary_sees_the_incoming_letter_but_not_others(staff_client, make_person, branches):
    person, other = make_person("张三"), make_person("李四")
    today = timezone.localdate()
    incoming = actions.issue_transfer(actor=None, person=person, issued_on=today, to_branch=branches["b2"])
    elsewhere = actions.issue_transfer(actor=None, person=other, issued_on=today, to_branch=branches["b3"])
    c = staff_client("sec2", (RoleKind.BRANCH_SECRETARY, branches["v2"]))
    assert c.get(f"/work/registry/transfers/{incoming.pk}/").status_code == 200
    assert c.get(f"/work/registry/transfers/{elsewhere.pk}/").status_code == 404
    assert (
        c.post(f"/work/registry/transfers/{incoming.pk}/", {"act": "cancel", "cancel-reason": "x"}).status_code == 403
    )
