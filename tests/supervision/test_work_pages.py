"""The office's pages on the workbench: scheduling, changing and cancelling an online interview, drafting a bulletin
of criticism for a chosen month, and masking phrases of a letter by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.core.models import AuditRecord
from dangjian.supervision import actions, interviews
from dangjian.supervision.models import Bulletin, Interview, InterviewState, Letter

FMT = "%Y-%m-%dT%H:%M"


def _local(dt):
    return timezone.localtime(dt).strftime(FMT)


@pytest.fixture
def soon():
    return timezone.now().replace(second=0, microsecond=0) + timedelta(days=2)


def _fields(tree, start, **over):
    data = {
        "title": "乡村振兴在线访谈", "topic": "听取群众对乡村振兴的意见", "guests": "县农业农村局局长",
        "unit": tree["county"].pk, "starts_at": _local(start), "ends_at": _local(start + timedelta(hours=2)),
    }  # fmt: skip
    data.update(over)
    return data


# --- scheduling an interview ------------------------------------------------------------------------------------


def test_the_office_schedules_an_interview_from_the_form(client, login, people, tree, soon):
    login(people["office"])
    form = client.get(reverse("supervision_work:schedule_interview"))
    assert form.status_code == 200
    html = form.content.decode()
    assert 'for="id_title"' in html and 'type="datetime-local"' in html
    page = client.post(reverse("supervision_work:schedule_interview"), _fields(tree, soon))
    session = Interview.objects.get()
    assert page.status_code == 302 and page["Location"] == reverse("supervision_work:interview", args=[session.pk])
    assert session.starts_at == soon and session.unit == tree["county"] and session.state == InterviewState.SCHEDULED
    assert AuditRecord.objects.filter(verb="interview.schedule", object_id=str(session.pk)).exists()


def test_an_interview_that_ends_before_it_starts_is_refused_with_a_summary(client, login, people, tree, soon):
    login(people["office"])
    page = client.post(
        reverse("supervision_work:schedule_interview"), _fields(tree, soon, ends_at=_local(soon - timedelta(hours=1)))
    )
    assert page.status_code == 400 and not Interview.objects.exists()
    html = page.content.decode()
    assert 'role="alert"' in html and 'href="#id_ends_at"' in html
    assert "访谈结束时间须晚于开始时间" in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_ends_at_error"' in html


@pytest.mark.parametrize(
    "over",
    [
        {"title": "  "},
        {"guests": ""},
        {"starts_at": "明天"},
        {"unit": "999999"},
        {"topic": "x" * 5001},
        {"starts_at": "0001-01-01T00:00"},
        {"ends_at": "9999-12-31T23:59"},
        {"starts_at": "2026-02-30T10:00"},
    ],
)
def test_bad_input_gets_an_error_and_schedules_nothing(client, login, people, tree, soon, over):
    login(people["office"])
    page = client.post(reverse("supervision_work:schedule_interview"), _fields(tree, soon, **over))
    assert page.status_code == 400 and not Interview.objects.exists()
    assert 'class="sv-error-summary' in page.content.decode()


def test_the_organising_unit_is_one_of_the_users_units(client, login, people, tree, soon, make_user):
    from dangjian.core.models import RoleKind

    township_office = make_user("t1office", (RoleKind.SUPERVISION_OFFICE, tree["t1"]))
    login(township_office)
    choices = client.get(reverse("supervision_work:schedule_interview")).context["form"].fields["unit"].queryset
    assert list(choices) == [tree["t1"]]
    page = client.post(reverse("supervision_work:schedule_interview"), _fields(tree, soon, unit=tree["county"].pk))
    assert page.status_code == 400 and not Interview.objects.exists()
    with pytest.raises(PermissionDenied):
        interviews.schedule_interview(actor=township_office, **_action_fields(tree, soon, unit=tree["t2"]))


def _action_fields(tree, start, **over):
    data = {"unit": tree["county"], "title": "t", "topic": "t", "guests": "g", "starts_at": start,
            "ends_at": start + timedelta(hours=1)}  # fmt: skip
    data.update(over)
    return data


def test_only_the_office_opens_the_scheduling_form(client, login, people):
    for name in ("responder", "leader", "member"):
        login(people[name])
        assert client.get(reverse("supervision_work:schedule_interview")).status_code == 403


def test_a_village_cannot_organise_an_interview(people, tree, soon):
    with pytest.raises(ValidationError) as caught:
        interviews.schedule_interview(actor=people["office"], **_action_fields(tree, soon, unit=tree["v1"]))
    assert "unit" in caught.value.message_dict and not Interview.objects.exists()


def test_the_office_changes_an_interview_before_it_starts(client, login, people, tree, soon):
    session = interviews.schedule_interview(actor=people["office"], **_action_fields(tree, soon))
    login(people["office"])
    form = client.get(reverse("supervision_work:edit_interview", args=[session.pk]))
    assert form.status_code == 200 and _local(soon) in form.content.decode()
    later = soon + timedelta(days=1)
    client.post(reverse("supervision_work:edit_interview", args=[session.pk]),
                _fields(tree, later, title="改期后的访谈", unit=tree["d1"].pk))  # fmt: skip
    session.refresh_from_db()
    assert session.title == "改期后的访谈" and session.starts_at == later and session.unit == tree["d1"]
    assert AuditRecord.objects.filter(verb="interview.update", object_id=str(session.pk)).exists()


def test_a_started_interview_cannot_be_changed_or_cancelled(client, login, people, tree):
    start = timezone.now() - timedelta(minutes=5)
    session = interviews.schedule_interview(actor=people["office"], **_action_fields(tree, start, title="已开始"))
    login(people["office"])
    page = client.get(reverse("supervision_work:edit_interview", args=[session.pk]))
    assert page.status_code == 302
    client.post(reverse("supervision_work:edit_interview", args=[session.pk]), _fields(tree, start, title="改"))
    client.post(reverse("supervision_work:cancel_interview", args=[session.pk]))
    session.refresh_from_db()
    assert session.title == "已开始" and session.state == InterviewState.SCHEDULED
    with pytest.raises(ValidationError):
        interviews.update_interview(actor=people["office"], interview=session, **_action_fields(tree, start))


def test_cancelling_closes_the_public_page(client, login, people, tree, soon):
    cache.clear()
    session = interviews.schedule_interview(actor=people["office"], **_action_fields(tree, soon))
    pending = interviews.ask_question(interview=session, body="会延期吗？")
    login(people["office"])
    client.post(reverse("supervision_work:cancel_interview", args=[session.pk]))
    session.refresh_from_db()
    assert session.state == InterviewState.CANCELLED
    assert AuditRecord.objects.filter(verb="interview.cancel", object_id=str(session.pk)).exists()
    with pytest.raises(ValidationError):
        interviews.moderate_question(actor=people["office"], question=pending, approve=True)
    client.logout()
    html = client.get(reverse("supervision:interview", args=[session.pk])).content.decode()
    assert "本次访谈已取消" in html and "hx-trigger" not in html and 'name="body"' not in html
    page = client.post(reverse("supervision:interview", args=[session.pk]), {"body": "还能问吗？"})
    assert page.status_code == 400 and session.questions.count() == 1


def test_another_units_office_cannot_edit_or_cancel(client, login, people, tree, soon, make_user):
    from dangjian.core.models import RoleKind

    session = interviews.schedule_interview(actor=people["office"], **_action_fields(tree, soon))
    login(make_user("t2office", (RoleKind.SUPERVISION_OFFICE, tree["t2"])))
    assert client.get(reverse("supervision_work:edit_interview", args=[session.pk])).status_code == 404
    assert client.post(reverse("supervision_work:cancel_interview", args=[session.pk])).status_code == 404
    session.refresh_from_db()
    assert session.state == InterviewState.SCHEDULED


# --- drafting a bulletin on demand -----------------------------------------------------------------------------


def test_the_office_drafts_a_bulletin_for_a_chosen_month(client, login, dispatched, people):
    dispatched()  # received 3 March 2025, never answered: both deadlines missed in March
    login(people["office"])
    page = client.get(reverse("supervision_work:bulletins"))
    assert page.status_code == 200 and 'type="month"' in page.content.decode()
    client.post(reverse("supervision_work:draft_bulletin"), {"month": "2025-03"})
    bulletin = Bulletin.objects.get()
    assert bulletin.month == date(2025, 3, 1) and bulletin.entries[0]["name"] == "文武坝镇"
    html = client.get(reverse("supervision_work:bulletins")).content.decode()
    assert '<th scope="row">文武坝镇</th>' in html
    client.post(reverse("supervision_work:draft_bulletin"), {"month": "2025-03"})
    assert Bulletin.objects.count() == 1  # redrawn, not doubled
    assert AuditRecord.objects.filter(verb="bulletin.draft").count() == 2


def test_a_county_leader_drafts_and_publishes(client, login, dispatched, people):
    dispatched()
    login(people["leader"])
    client.post(reverse("supervision_work:draft_bulletin"), {"month": "2025-03"})
    bulletin = Bulletin.objects.get()
    client.post(reverse("supervision_work:publish_bulletin", args=[bulletin.pk]))
    bulletin.refresh_from_db()
    assert bulletin.published_at is not None


@pytest.mark.parametrize("month", ["", "2025-13", "三月", "2025-03-01x", "1999-12", "2999-01", "9999-12", "0001-01"])
def test_a_bad_month_gets_an_error_and_drafts_nothing(client, login, people, month):
    login(people["office"])
    page = client.post(reverse("supervision_work:draft_bulletin"), {"month": month})
    assert page.status_code == 400 and not Bulletin.objects.exists()
    assert 'href="#id_month"' in page.content.decode()


def test_a_responder_cannot_draft(client, login, people):
    login(people["responder"])
    assert client.post(reverse("supervision_work:draft_bulletin"), {"month": "2025-03"}).status_code == 403
    assert not Bulletin.objects.exists()


# --- manual redaction ------------------------------------------------------------------------------------------


def _published(dispatched, people):
    sub = dispatched(channel="secretary", body="上坑村老李家门口的路灯坏了，李大爷每晚摔跤。")
    actions.post_follow_up(actor=people["responder"], letter=sub.letter, body="已联系李大爷。")
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已维修。")
    actions.sign_off_result(actor=people["head"], result=result)
    return sub.letter


def test_the_office_masks_phrases_and_the_public_page_shows_the_mask(client, login, dispatched, people):
    letter = _published(dispatched, people)
    public = reverse("supervision:letter", args=[letter.pk])
    assert "李大爷" in client.get(public).content.decode()
    login(people["office"])
    html = client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
    assert 'for="redact-phrases"' in html
    client.post(reverse("supervision_work:redact", args=[letter.pk]), {"phrases": "李大爷\n老李家\n"})
    staff = client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
    assert "李大爷每晚摔跤" in staff  # staff see the original
    client.logout()
    html = client.get(public).content.decode()
    assert "李大爷" not in html and "老李家" not in html and "＊＊＊" in html
    assert AuditRecord.objects.filter(verb="letter.redact", object_id=str(letter.pk)).exists()


@pytest.mark.parametrize("phrases", ["", "   \n  ", "李", "李大爷\n的", "长" * 5001])
def test_bad_phrases_get_an_error_and_change_nothing(client, login, dispatched, people, phrases):
    letter = _published(dispatched, people)
    login(people["office"])
    page = client.post(reverse("supervision_work:redact", args=[letter.pk]), {"phrases": phrases})
    html = page.content.decode()
    # The page again, with the answer kept and an error summary whose link leads to the field.
    assert page.status_code == 400 and 'class="sv-error-summary' in html and 'href="#redact-phrases"' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="redact-phrases_error' in html
    assert Letter.objects.get(pk=letter.pk).redactions == ""
    assert not AuditRecord.objects.filter(verb="letter.redact").exists()


def test_a_unit_cannot_redact(client, login, dispatched, people):
    letter = _published(dispatched, people)
    login(people["responder"])
    assert b'id="redact-phrases"' not in client.get(reverse("supervision_work:letter", args=[letter.pk])).content
    client.post(reverse("supervision_work:redact", args=[letter.pk]), {"phrases": "李大爷"})
    assert Letter.objects.get(pk=letter.pk).redactions == ""


def test_a_confidential_letter_has_no_redaction_form(client, login, dispatched, people, keys):
    letter = dispatched(channel="supervision").letter
    login(people["office"])
    html = client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
    assert 'id="redact-phrases"' not in html


def test_the_office_takes_back_a_mask_and_the_public_page_shows_the_phrase_again(client, login, dispatched, people):
    letter = _published(dispatched, people)
    login(people["office"])
    client.post(reverse("supervision_work:redact", args=[letter.pk]), {"phrases": "李大爷\n老李家"})
    staff = client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
    assert staff.count(reverse("supervision_work:unredact", args=[letter.pk])) == 2  # one button per phrase
    client.post(reverse("supervision_work:unredact", args=[letter.pk]), {"phrase": "李大爷"})
    assert Letter.objects.get(pk=letter.pk).redactions == "老李家"
    assert AuditRecord.objects.filter(verb="letter.unredact", object_id=str(letter.pk)).exists()
    client.logout()
    assert "李大爷" in client.get(reverse("supervision:letter", args=[letter.pk])).content.decode()


def test_taking_back_a_phrase_never_masked_is_refused_and_changes_nothing(client, login, dispatched, people):
    letter = _published(dispatched, people)
    login(people["office"])
    client.post(reverse("supervision_work:redact", args=[letter.pk]), {"phrases": "李大爷"})
    page = client.post(reverse("supervision_work:unredact", args=[letter.pk]), {"phrase": "王某某"})
    assert page.status_code == 400 and 'class="sv-error-summary' in page.content.decode()
    assert Letter.objects.get(pk=letter.pk).redactions == "李大爷"
    login(people["responder"])  # a unit may not take masks back
    client.post(reverse("supervision_work:unredact", args=[letter.pk]), {"phrase": "李大爷"})
    assert Letter.objects.get(pk=letter.pk).redactions == "李大爷"
    assert not AuditRecord.objects.filter(verb="letter.unredact").exists()
