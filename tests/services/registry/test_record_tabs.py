"""The record tabs on a person's page (奖惩, 职务, 任免, 家庭成员, 人才): each shows and saves through its action with
an audit record; another unit's person is a 404 and nothing changes; bad input is refused with a translated reason
and stores nothing; punishments and family only for roles with a need to know."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.publicity.models import Classification, NoticeKind, NoticePage
from dangjian.services.registry import access, actions
from dangjian.services.registry.models import Appointment, FamilyMember, Position, RewardPunishment, Talent
from tests.publicity.conftest import add_page, site  # noqa: F401  (the public site's fixture)

pytestmark = pytest.mark.django_db


def zh(message: str) -> str:
    """The Chinese a page shows for `message`; it must be translated, not the English msgid."""
    with translation.override("zh-hans"):
        text = gettext(message)
    assert text != message, f"untranslated: {message}"
    return text


@pytest.fixture
def cadre(make_person, branches):
    person = make_person("王芳", branch=branches["b1"], is_cadre=True)
    return person


@pytest.fixture
def secretary(staff_client, branches):
    """A branch secretary of the first village: sees and edits people of 上坑村党支部 only."""
    return staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["v1"]))


def audits(verb: str) -> int:
    return AuditRecord.objects.filter(verb=verb).count()


NEW_ENTRY = {
    "rewards": (
        {"kind": "reward", "title": "优秀共产党员", "date": "2021-07-01", "authority": "中共会昌县委"},
        RewardPunishment, "person.add_reward", "优秀共产党员",
    ),
    "positions": (
        {"title": "村委会主任", "unit": "", "organisation": "上坑村村民委员会", "rank": "", "start": "2021-05-01",
         "term_years": "5"},
        Position, "person.add_position", "上坑村村民委员会",
    ),
    "appointments": (
        {"kind": "appoint", "title": "副镇长", "date": "2024-03-01", "document": "会组字〔2024〕8号",
         "rank": "deputy_section", "term_years": "5"},
        Appointment, "person.appoint", "会组字〔2024〕8号",
    ),
    "family": (
        {"relation": "spouse", "name": "李明", "birth_date": "1990-02-03", "political_status": "群众",
         "work": "会昌县人民医院"},
        FamilyMember, "person.add_family", "会昌县人民医院",
    ),
    "talents": (
        {"category": "rural", "skills": "脐橙种植", "title": "农艺师"},
        Talent, "person.add_talent", "脐橙种植",
    ),
}  # fmt: skip


@pytest.mark.parametrize("tab", NEW_ENTRY)
def test_each_tab_saves_a_new_entry_shows_it_and_audits_it(secretary, cadre, tab):
    post, model, verb, shown = NEW_ENTRY[tab]
    form = secretary.get(f"/work/registry/{cadre.pk}/{tab}/new/")
    assert form.status_code == 200 and 'method="post"' in form.content.decode()
    response = secretary.post(f"/work/registry/{cadre.pk}/{tab}/new/", post)
    assert response.status_code == 302 and response["Location"].endswith(f"/work/registry/{cadre.pk}/#{tab}")
    entry = model.objects.get(person=cadre)
    record = AuditRecord.objects.get(verb=verb)
    assert record.object_id == str(entry.pk) and record.actor == secretary.user
    assert record.role == RoleKind.BRANCH_SECRETARY and record.after["person"] == cadre.pk
    html = secretary.get(f"/work/registry/{cadre.pk}/").content.decode()
    assert f'id="{tab}"' in html and shown in html


def test_an_appointment_opens_the_post_with_its_rank_and_term(secretary, cadre):
    secretary.post(f"/work/registry/{cadre.pk}/appointments/new/", NEW_ENTRY["appointments"][0])
    post = Position.objects.get(person=cadre)
    assert (post.title, post.rank, post.term_years, post.start) == ("副镇长", "deputy_section", 5, date(2024, 3, 1))
    assert post.term_end() == date(2029, 3, 1)


def test_editing_an_entry_saves_it_and_audits_only_what_changed(secretary, cadre):
    reward = actions.add_reward(actor=None, person=cadre, kind="reward", title="优秀党务工作者", date=date(2020, 7, 1))
    url = f"/work/registry/{cadre.pk}/rewards/{reward.pk}/"
    assert "优秀党务工作者" in secretary.get(url).content.decode()
    response = secretary.post(url, {"kind": "reward", "title": "优秀共产党员", "date": "2020-07-01", "authority": ""})
    assert response.status_code == 302
    reward.refresh_from_db()
    assert reward.title == "优秀共产党员"
    record = AuditRecord.objects.get(verb="person.update_reward")
    assert record.before == {"title": "优秀党务工作者"}
    assert record.after == {"person": cadre.pk, "title": "优秀共产党员"}
    secretary.post(url, {"kind": "reward", "title": "优秀共产党员", "date": "2020-07-01", "authority": ""})
    assert audits("person.update_reward") == 1  # saving it unchanged records nothing


def test_ending_a_post_sets_its_end_once(secretary, cadre):
    post = actions.add_position(actor=None, person=cadre, title="村党支部书记", start=date(2021, 1, 1))
    url = f"/work/registry/{cadre.pk}/positions/{post.pk}/end/"
    assert secretary.post(url, {"end": "2025-12-31"}).status_code == 302
    post.refresh_from_db()
    assert post.end == date(2025, 12, 31)
    assert AuditRecord.objects.get(verb="person.end_position").after == {"person": cadre.pk, "end": "2025-12-31"}
    again = secretary.post(url, {"end": "2026-01-31"})
    assert again.status_code == 200 and zh("This post already ended on %(date)s.") % {"date": "2025-12-31"} in (
        again.content.decode()
    )
    post.refresh_from_db()
    assert post.end == date(2025, 12, 31) and audits("person.end_position") == 1


@pytest.mark.parametrize(
    ("tab", "make", "model", "verb"),
    [
        ("family", lambda p: actions.add_family_member(actor=None, person=p, relation="child", name="王小"),
         FamilyMember, "person.remove_family"),
        ("talents", lambda p: actions.add_talent(actor=None, person=p, category="skilled"), Talent,
         "person.remove_talent"),
    ],
)  # fmt: skip
def test_removing_a_family_member_or_talent_category_is_audited(secretary, cadre, tab, make, model, verb):
    entry = make(cadre)
    url = f"/work/registry/{cadre.pk}/{tab}/{entry.pk}/end/"
    assert secretary.get(url).status_code == 200
    assert secretary.post(url).status_code == 302
    assert not model.objects.filter(pk=entry.pk).exists()
    record = AuditRecord.objects.get(verb=verb)
    assert record.object_id == str(entry.pk) and record.before["person"] == cadre.pk


def test_another_units_person_is_404_and_nothing_changes(secretary, make_person, branches):
    other = make_person("张飞", branch=branches["b2"], is_cadre=True)
    reward = actions.add_reward(actor=None, person=other, kind="punishment", title="警告", date=date(2022, 1, 1))
    post = actions.add_position(actor=None, person=other, title="村主任", start=date(2021, 1, 1))
    before = AuditRecord.objects.count()
    assert secretary.get(f"/work/registry/{other.pk}/rewards/new/").status_code == 404
    assert secretary.post(f"/work/registry/{other.pk}/rewards/new/", NEW_ENTRY["rewards"][0]).status_code == 404
    edit = {"kind": "reward", "title": "改", "date": "2022-01-01"}
    assert secretary.post(f"/work/registry/{other.pk}/rewards/{reward.pk}/", edit).status_code == 404
    assert secretary.post(f"/work/registry/{other.pk}/positions/{post.pk}/end/", {"end": "2025-01-01"}).status_code == (
        404
    )
    reward.refresh_from_db()
    post.refresh_from_db()
    assert reward.title == "警告" and post.end is None
    assert RewardPunishment.objects.count() == 1 and AuditRecord.objects.count() == before


def test_an_entry_of_another_person_is_404_under_my_persons_address(secretary, cadre, make_person, branches):
    other = make_person("张飞", branch=branches["b2"])
    reward = actions.add_reward(actor=None, person=other, kind="reward", title="先进", date=date(2022, 1, 1))
    edit = {"kind": "reward", "title": "改", "date": "2022-01-01"}
    assert secretary.post(f"/work/registry/{cadre.pk}/rewards/{reward.pk}/", edit).status_code == 404
    reward.refresh_from_db()
    assert reward.title == "先进"


def test_an_unknown_tab_is_404(secretary, cadre):
    assert secretary.get(f"/work/registry/{cadre.pk}/education/new/").status_code == 404
    post = actions.add_position(actor=None, person=cadre, title="村主任", start=date(2021, 1, 1))
    assert secretary.get(f"/work/registry/{cadre.pk}/rewards/{post.pk}/end/").status_code == 404  # no "end" there


@pytest.mark.parametrize(
    ("tab", "post", "message"),
    [
        ("rewards", {"kind": "reward", "title": "优秀", "date": "2099-01-01"},
         "The decision cannot be dated in the future."),
        ("positions", {"title": "主任", "start": "2022-01-01", "end": "2021-01-01"},
         "A post cannot end before it starts."),
        ("family", {"relation": "child", "name": "王小", "birth_date": "2099-01-01"},
         "The date of birth is in the future."),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_summary_and_stores_nothing(secretary, cadre, tab, post, message):
    before = AuditRecord.objects.count()
    response = secretary.post(f"/work/registry/{cadre.pk}/{tab}/new/", post)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and zh(message) in html
    assert zh("Nothing was saved. Please correct the following:") in html
    assert AuditRecord.objects.count() == before
    assert not (RewardPunishment.objects.exists() or Position.objects.exists() or FamilyMember.objects.exists())


def test_a_required_field_missing_or_a_bad_date_is_refused(secretary, cadre):
    response = secretary.post(f"/work/registry/{cadre.pk}/rewards/new/", {"kind": "medal", "date": "2021-13-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li><a href="#id_') == 3  # kind, title and date, each linked to its field
    assert not RewardPunishment.objects.exists()


def test_a_second_entry_in_the_same_talent_category_is_refused(secretary, cadre):
    actions.add_talent(actor=None, person=cadre, category="rural")
    response = secretary.post(f"/work/registry/{cadre.pk}/talents/new/", {"category": "rural"})
    assert response.status_code == 200
    assert zh("This person is already listed in that talent category.") in response.content.decode()
    assert Talent.objects.count() == 1


def test_a_leader_sees_rewards_but_no_punishment_or_family_and_cannot_edit(staff_client, cadre, branches):
    actions.add_reward(actor=None, person=cadre, kind="reward", title="优秀共产党员", date=date(2021, 7, 1))
    actions.add_reward(actor=None, person=cadre, kind="punishment", title="党内警告", date=date(2022, 7, 1))
    actions.add_family_member(actor=None, person=cadre, relation="spouse", name="李明")
    leader = staff_client("leader", (RoleKind.COUNTY_LEADER, branches["county"]))
    html = leader.get(f"/work/registry/{cadre.pk}/").content.decode()
    assert "优秀共产党员" in html and "党内警告" not in html and "李明" not in html
    assert "/rewards/new/" not in html
    assert leader.get(f"/work/registry/{cadre.pk}/rewards/new/").status_code == 404


def test_a_secretary_sees_punishments_and_the_family_of_a_cadre(secretary, cadre):
    actions.add_reward(actor=None, person=cadre, kind="punishment", title="党内警告", date=date(2022, 7, 1))
    actions.add_family_member(actor=None, person=cadre, relation="spouse", name="李明")
    html = secretary.get(f"/work/registry/{cadre.pk}/").content.decode()
    assert "党内警告" in html and "李明" in html and 'id="family"' in html


def test_editors_may_always_see_the_sensitive_tabs():
    assert set(access.EDIT_KINDS) <= set(access.SENSITIVE_KINDS)


def test_the_family_tab_is_for_cadres(secretary, make_person):
    member = make_person("赵六")
    assert 'id="family"' not in secretary.get(f"/work/registry/{member.pk}/").content.decode()


def test_the_record_page_runs_a_bounded_number_of_queries(secretary, cadre, django_assert_max_num_queries):
    for i in range(10):
        actions.add_reward(actor=None, person=cadre, kind="reward", title=f"先进{i}", date=date(2020, 1, i + 1))
        actions.add_position(actor=None, person=cadre, title=f"职务{i}", start=date(2020, 1, i + 1))
    with django_assert_max_num_queries(16):
        response = secretary.get(f"/work/registry/{cadre.pk}/")
    assert response.content.decode().count("/positions/") >= 10


def test_the_forms_keep_working_in_the_care_version(secretary, cadre):
    secretary.post("/care/", {"next": "/"})
    html = secretary.get(f"/work/registry/{cadre.pk}/rewards/new/").content.decode()
    assert 'class="care' in html and '<label for="id_title">' in html


# --- 任免 linked to the 任前公示 -------------------------------------------------------------------------------


@pytest.fixture
def notice(site):  # noqa: F811
    return add_page(
        site["news"], NoticePage, title="干部任前公示", kind=NoticeKind.PRE_APPOINTMENT,
        period_start=timezone.localdate(), period_workdays=5, classification=Classification.PUBLIC,
    )  # fmt: skip


def test_an_appointment_links_its_pre_appointment_notice(secretary, cadre, notice):
    after = notice.period_end + timedelta(days=1)
    post = {"kind": "appoint", "title": "副镇长", "date": after.isoformat(), "notice": notice.pk}
    assert secretary.post(f"/work/registry/{cadre.pk}/appointments/new/", post).status_code == 302
    assert Appointment.objects.get(person=cadre).notice == notice
    html = secretary.get(f"/work/registry/{cadre.pk}/").content.decode()
    assert f'href="{notice.url}"' in html and "干部任前公示" in html
    assert AuditRecord.objects.get(verb="person.appoint").after["notice"] == notice.pk


def test_an_appointment_within_the_notice_period_is_refused(secretary, cadre, notice):
    post = {"kind": "appoint", "title": "副镇长", "date": notice.period_end.isoformat(), "notice": notice.pk}
    response = secretary.post(f"/work/registry/{cadre.pk}/appointments/new/", post)
    assert response.status_code == 200
    message = zh("The appointment comes after the notice period, which ends on %(date)s.")
    assert message % {"date": notice.period_end.isoformat()} in response.content.decode()
    assert not Appointment.objects.exists() and not Position.objects.exists()


def test_the_notice_is_linked_later_by_editing_the_record(secretary, cadre, notice):
    appointment = actions.record_appointment(
        actor=None, person=cadre, kind="appoint", title="副镇长", date=notice.period_end + timedelta(days=3)
    )
    url = f"/work/registry/{cadre.pk}/appointments/{appointment.pk}/"
    response = secretary.post(url, {"document": "会组字〔2026〕3号", "notice": notice.pk, "notice_url": ""})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.notice == notice and appointment.document == "会组字〔2026〕3号"
    record = AuditRecord.objects.get(verb="person.update_appointment")
    assert record.after == {"person": cadre.pk, "document": "会组字〔2026〕3号", "notice": notice.pk}


def test_only_pre_appointment_notices_may_be_linked(secretary, cadre, site):  # noqa: F811
    other = add_page(
        site["news"], NoticePage, title="表彰公示", kind=NoticeKind.COMMENDATION, period_start=timezone.localdate(),
        classification=Classification.PUBLIC,
    )  # fmt: skip
    post = {"kind": "appoint", "title": "副镇长", "date": "2030-01-01", "notice": other.pk}
    response = secretary.post(f"/work/registry/{cadre.pk}/appointments/new/", post)
    assert response.status_code == 200 and not Appointment.objects.exists()


def test_the_actions_refuse_an_actor_outside_the_persons_units(make_user, cadre, branches):
    from django.core.exceptions import PermissionDenied

    outsider = make_user("sec2", (RoleKind.BRANCH_SECRETARY, branches["v2"]))
    reward = actions.add_reward(actor=None, person=cadre, kind="reward", title="先进", date=date(2022, 1, 1))
    post = actions.add_position(actor=None, person=cadre, title="村主任", start=date(2021, 1, 1))
    talent = actions.add_talent(actor=None, person=cadre, category="rural")
    before = AuditRecord.objects.count()
    for act in (
        lambda: actions.update_reward(actor=outsider, reward=reward, kind="reward", title="改", date=reward.date),
        lambda: actions.end_position(actor=outsider, position=post, end=date(2025, 1, 1)),
        lambda: actions.remove_talent(actor=outsider, talent=talent),
        lambda: actions.add_family_member(actor=outsider, person=cadre, relation="child", name="王小"),
    ):
        with pytest.raises(PermissionDenied):
            act()
    reward.refresh_from_db()
    post.refresh_from_db()
    assert reward.title == "先进" and post.end is None and Talent.objects.filter(pk=talent.pk).exists()
    assert not FamilyMember.objects.exists() and AuditRecord.objects.count() == before


def test_a_notice_link_must_be_a_web_address(secretary, cadre):
    post = {"kind": "appoint", "title": "副镇长", "date": "2024-03-01", "notice_url": "javascript:alert(1)"}
    response = secretary.post(f"/work/registry/{cadre.pk}/appointments/new/", post)
    assert response.status_code == 200
    assert zh("Give a web address starting with http://, https:// or /.") in response.content.decode()
    assert not Appointment.objects.exists() and not Position.objects.exists()
