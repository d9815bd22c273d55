"""Every change to the registry goes through an action: checked, scoped, audited, nothing half-stored."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry import actions
from dangjian.services.registry.actions import PersonData
from dangjian.services.registry.choices import Stage, Status
from dangjian.services.registry.models import Person, Position
from dangjian.services.registry.queries import cadre_alerts
from tests.services.conftest import valid_id

pytestmark = pytest.mark.django_db


def data(branch, **kw):
    base = dict(
        name="李四",
        id_number="360733199001011237",
        joined_date=date(2015, 7, 1),
        full_member_date=date(2016, 7, 1),
    )
    base.update(kw)
    return PersonData(branch=branch, **base)


def test_a_member_is_created_with_birth_date_gender_and_pinyin_from_the_record(branches):
    person = actions.create_person(actor=None, data=data(branches["b1"], phone="+86 138 1234 5678"))
    assert person.birth_date == date(1990, 1, 1)
    assert person.gender == "male"
    assert (person.name_pinyin, person.name_initials) == ("lisi", "ls")
    assert person.phone == "13812345678"
    record = AuditRecord.objects.get(verb="person.create")
    assert record.after["id_number"] == "3607**********1237"
    assert record.after["phone"] == "138****5678"
    assert "360733199001011237" not in str(record.after)


def test_a_fifteen_digit_id_is_stored_upgraded(branches):
    person = actions.create_person(actor=None, data=data(branches["b1"], id_number="360733900101123"))
    assert Person.objects.get(pk=person.pk).id_number == "360733199001011237"


def test_every_problem_of_a_record_is_reported_and_nothing_is_stored(branches):
    bad = data(
        branches["b1"],
        name=" ",
        id_number="360733199001011238",
        phone="12345",
        joined_date=None,
        full_member_date=date(2016, 7, 1),
    )
    with pytest.raises(ValidationError) as err:
        actions.create_person(actor=None, data=bad)
    assert {"name", "id_number", "phone", "joined_date"} <= set(err.value.message_dict)
    assert not Person.objects.exists()


def test_birth_date_and_gender_must_agree_with_the_id_number(branches):
    with pytest.raises(ValidationError) as err:
        actions.create_person(actor=None, data=data(branches["b1"], birth_date=date(1991, 1, 1), gender="female"))
    assert {"birth_date", "gender"} <= set(err.value.message_dict)


def test_the_same_id_number_cannot_be_registered_twice(branches):
    actions.create_person(actor=None, data=data(branches["b1"]))
    with pytest.raises(ValidationError) as err:
        actions.create_person(actor=None, data=data(branches["b2"], name="王五", id_number="360733900101123"))
    assert "id_number" in err.value.message_dict


def test_a_member_belongs_to_a_party_branch_not_a_village(branches):
    with pytest.raises(ValidationError) as err:
        actions.create_person(actor=None, data=data(branches["v1"]))
    assert "branch" in err.value.message_dict


def test_a_non_member_talent_may_be_recorded_at_any_unit(branches):
    person = actions.create_person(
        actor=None, data=data(branches["v1"], stage=Stage.NONE, joined_date=None, full_member_date=None)
    )
    assert not person.is_member


def test_development_dates_must_follow_in_order(branches):
    with pytest.raises(ValidationError) as err:
        actions.create_person(
            actor=None,
            data=data(branches["b1"], activist_date=date(2014, 1, 1), candidate_date=date(2013, 1, 1)),
        )
    assert "candidate_date" in err.value.message_dict


def test_a_secretary_edits_only_their_own_branch(branches, make_user):
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))
    person = actions.create_person(actor=secretary, data=data(branches["b1"]))
    assert AuditRecord.objects.get(verb="person.create").role == RoleKind.BRANCH_SECRETARY
    with pytest.raises(PermissionDenied):
        actions.create_person(actor=secretary, data=data(branches["b2"], id_number=""))
    leader = make_user("leader", (RoleKind.COUNTY_LEADER, branches["county"]))
    with pytest.raises(PermissionDenied):
        actions.set_status(actor=leader, person=person, status=Status.LOST_CONTACT)


def test_an_update_records_only_what_changed_and_never_moves_the_branch(branches):
    person = actions.create_person(actor=None, data=data(branches["b1"]))
    actions.update_person(actor=None, person=person, data=data(branches["b1"], address="上坑村3组", tags=["退役军人"]))
    record = AuditRecord.objects.get(verb="person.update")
    assert record.after == {"address": "上坑村3组"}
    assert list(person.tags.values_list("name", flat=True)) == ["退役军人"]
    with pytest.raises(ValidationError):
        actions.update_person(actor=None, person=person, data=data(branches["b2"]))


def test_revealing_identifiers_is_audited_and_needs_a_role_with_need(branches, make_user):
    person = actions.create_person(actor=None, data=data(branches["b1"], phone="13812345678"))
    admin = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    assert actions.reveal_identifiers(actor=admin, person=person) == {
        "id_number": "360733199001011237",
        "phone": "13812345678",
    }
    assert AuditRecord.objects.filter(verb="person.reveal", object_id=str(person.pk), actor=admin).count() == 1
    head = make_user("head", (RoleKind.UNIT_HEAD, branches["county"]))
    with pytest.raises(PermissionDenied):
        actions.reveal_identifiers(actor=head, person=person)


def test_appointment_opens_a_post_and_removal_closes_it(branches):
    person = actions.create_person(actor=None, data=data(branches["b3"]))
    actions.record_appointment(
        actor=None, person=person, kind="appoint", title="副部长", date=date(2020, 3, 1), document="会组字〔2020〕8号"
    )
    person.refresh_from_db()
    assert person.is_cadre
    assert Position.objects.get(person=person).end is None
    actions.record_appointment(actor=None, person=person, kind="remove", title="副部长", date=date(2024, 3, 1))
    assert Position.objects.get(person=person).end == date(2024, 3, 1)
    assert AuditRecord.objects.filter(verb__in=["person.appoint", "person.remove"]).count() == 2


def test_cadres_near_retirement_age_or_term_end_are_alerted(branches, make_user):
    b3 = branches["b3"]
    old = actions.create_person(actor=None, data=data(b3, id_number=valid_id("36073319670101123"), is_cadre=True))
    young = actions.create_person(actor=None, data=data(b3, name="王五", id_number=valid_id("36073319900102123")))
    actions.add_position(actor=None, person=young, title="科长", start=date(2021, 5, 1), rank="section", term_years=5)
    actions.record_appointment(actor=None, person=young, kind="appoint", title="股长", date=date(2024, 1, 1))
    admin = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    alerts = cadre_alerts(admin, today=date(2026, 1, 15))
    assert {(a.person.pk, a.due) for a in alerts} == {(old.pk, date(2027, 8, 1)), (young.pk, date(2026, 5, 1))}


def test_cadre_alerts_work_on_29_february_and_list_every_term_that_ends(branches, make_user):
    b3 = branches["b3"]
    admin = make_user("org", (RoleKind.ORG_ADMIN, branches["county"]))
    people = []
    for i in range(1, 13):
        person = actions.create_person(
            actor=None, data=data(b3, name=f"干部{i}", id_number=valid_id(f"360733199001{i:02d}123"), is_cadre=True)
        )
        actions.add_position(actor=None, person=person, title="站长", start=date(2023, 3, i), term_years=3)
        people.append(person)
    actions.add_position(actor=None, person=people[0], title="副站长", start=date(2025, 1, 1), term_years=5)
    alerts = cadre_alerts(admin, today=date(2028, 2, 29), term_warning_days=30)
    assert [a.due for a in alerts] == [date(2026, 3, i) for i in range(1, 13)]  # ended already, still in post
    soon = cadre_alerts(admin, today=date(2025, 12, 1), term_warning_days=90)  # the horizon is 1 March 2026
    assert [(a.person.pk, a.due) for a in soon] == [(people[0].pk, date(2026, 3, 1))]


def test_rewards_family_and_talents_are_recorded_with_audit(branches):
    person = actions.create_person(actor=None, data=data(branches["b1"]))
    actions.add_reward(actor=None, person=person, kind="reward", title="优秀共产党员", date=date(2021, 7, 1))
    actions.add_family_member(actor=None, person=person, relation="spouse", name="赵六")
    actions.add_talent(actor=None, person=person, category="rural", skills="脐橙种植", title="农艺师")
    with pytest.raises(ValidationError):
        actions.add_talent(actor=None, person=person, category="rural")
    with pytest.raises(ValidationError):
        actions.add_reward(actor=None, person=person, kind="medal", title="x", date=date(2021, 7, 1))
    verbs = set(AuditRecord.objects.values_list("verb", flat=True))
    assert {"person.add_reward", "person.add_family", "person.add_talent"} <= verbs
