"""Reminders the working day before a deadline, chasers the working day after, and the monthly 通报批评."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from freezegun import freeze_time

from dangjian.core import calendar
from dangjian.core.models import Notification
from dangjian.supervision import actions, tasks
from dangjian.supervision.models import Bulletin, Letter, LetterEvent


def at(day: str, hour: int = 9) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour, tzinfo=calendar.SHANGHAI)


def kinds(user) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_reminder_goes_out_the_working_day_before_the_first_deadline_once(dispatched, people):
    dispatched()  # received Monday 3 March 2025: first follow-up due Thursday 6 March
    assert actions.sweep_deadlines(now=at("2025-03-04")).reminded == 0
    assert actions.sweep_deadlines(now=at("2025-03-05")).reminded == 1
    assert actions.sweep_deadlines(now=at("2025-03-05", 15)).reminded == 0
    assert kinds(people["responder"]).count("letter.reminder") == 1
    assert "letter.reminder" not in kinds(people["other"])


def test_a_letter_followed_up_in_time_is_neither_reminded_nor_chased(dispatched, people):
    sub = dispatched()
    with freeze_time(at("2025-03-04")):
        actions.post_follow_up(actor=people["responder"], letter=sub.letter, body="来信收悉。")
    result = actions.sweep_deadlines(now=at("2025-03-07"))
    assert (result.reminded, result.chased) == (0, 0)


def test_chaser_goes_to_the_unit_and_its_head_on_the_first_working_day_after_the_missed_deadline(dispatched, people):
    dispatched()
    assert actions.sweep_deadlines(now=at("2025-03-06")).chased == 0  # due today, end of day: not late yet
    assert actions.sweep_deadlines(now=at("2025-03-07")).chased == 1
    assert actions.sweep_deadlines(now=at("2025-03-10")).chased == 0
    assert "letter.chaser" in kinds(people["responder"]) and "letter.chaser" in kinds(people["head"])
    assert LetterEvent.objects.filter(verb="chased").count() == 1


def test_the_sweep_sends_nothing_on_a_weekend_and_catches_up_on_monday(dispatched, people):
    dispatched(received_at=at("2025-03-05", 10))  # due Monday 10 March: the reminder belongs to Friday
    assert actions.sweep_deadlines(now=at("2025-03-08")).reminded == 0  # Saturday
    assert actions.sweep_deadlines(now=at("2025-03-07")).reminded == 1


def test_the_deadline_task_runs_the_sweep(dispatched):
    dispatched()
    with freeze_time(at("2025-03-05")):
        assert tasks.sweep_deadlines.call() == {"reminded": 1, "chased": 0}


def answer(people, letter, day: str) -> None:
    with freeze_time(at(day)):
        actions.post_follow_up(actor=people["responder"], letter=letter, body="来信收悉。")
        result = actions.post_result(actor=people["responder"], letter=letter, body="已处理。")
        actions.sign_off_result(actor=people["head"], result=result)


def test_bulletin_lists_the_units_that_missed_deadlines_in_the_month(dispatched, people, tree):
    late = dispatched().letter
    on_time = dispatched().letter
    answer(people, on_time, "2025-03-05")
    answer(people, late, "2025-03-10")
    bulletin = actions.draft_bulletin(actor=people["office"], month=date(2025, 3, 1))
    assert bulletin.entries == [
        {
            "unit": tree["t1"].pk,
            "name": "文武坝镇",
            "first_late": 1,
            "result_late": 0,
            "letters": [[late.pk, late.title]],
        }
    ]
    assert actions.draft_bulletin(actor=None, month=date(2025, 4, 1)).entries == []


def test_a_granted_extension_keeps_the_unit_out_of_the_bulletin(dispatched, people):
    with freeze_time(at("2025-03-04")):
        letter = dispatched().letter
        ext = actions.request_extension(
            actor=people["responder"], letter=letter, which="first", workdays=5, reason="需调查"
        )
        actions.decide_extension(actor=people["office"], extension=ext, grant=True)
    answer(people, letter, "2025-03-12")
    assert actions.draft_bulletin(actor=None, month=date(2025, 3, 1)).entries == []


def test_only_a_county_leader_publishes_a_bulletin(dispatched, people):
    dispatched()
    bulletin = actions.draft_bulletin(actor=people["office"], month=date(2025, 3, 1))
    with pytest.raises(PermissionDenied):
        actions.publish_bulletin(actor=people["office"], bulletin=bulletin)
    actions.publish_bulletin(actor=people["leader"], bulletin=bulletin)
    with pytest.raises(ValidationError):
        actions.publish_bulletin(actor=people["leader"], bulletin=bulletin)
    assert Bulletin.objects.get().published_by == people["leader"]


def test_a_published_bulletin_is_linked_from_the_public_notices_to_its_place_on_the_criticism_page(
    dispatched, people, client
):
    dispatched()
    bulletin = actions.draft_bulletin(actor=people["office"], month=date(2025, 3, 1))
    actions.publish_bulletin(actor=people["leader"], bulletin=bulletin)
    url = bulletin.get_absolute_url()
    assert f'href="{url}"' in client.get("/publicity/notices/").content.decode()
    path, anchor = url.split("#")
    assert f'id="{anchor}"' in client.get(path).content.decode()


def test_a_responder_cannot_draft_a_bulletin(people):
    with pytest.raises(PermissionDenied):
        actions.draft_bulletin(actor=people["responder"], month=date(2025, 3, 1))


def test_the_monthly_job_drafts_last_months_bulletin_once(dispatched):
    dispatched()
    with freeze_time(at("2025-04-01")):
        assert tasks.draft_monthly_bulletin.call() is not None
        assert tasks.draft_monthly_bulletin.call() is None
    assert Bulletin.objects.get().month == date(2025, 3, 1)
    assert Letter.objects.count() == 1


def test_entering_a_holiday_in_the_admin_moves_the_due_dates_of_open_letters(
    dispatched, verified_admin, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    letter = dispatched().letter  # received Monday 3 March 2025: first follow-up due Thursday 6 March
    assert calendar.deadline(letter.received_at, 3).date() == date(2025, 3, 6)
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_admin.post(
            "/admin/core/calendaryear/add/",
            {
                "year": "2025",
                "source": "县政府临时调整（测试）",
                "created_at_0": "2025-03-01",
                "created_at_1": "10:00:00",
                "days-TOTAL_FORMS": "1",
                "days-INITIAL_FORMS": "0",
                "days-MIN_NUM_FORMS": "0",
                "days-MAX_NUM_FORMS": "1000",
                "days-0-day": "2025-03-04",
                "days-0-name": "临时放假",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    letter.refresh_from_db()
    assert letter.first_response_due.astimezone(calendar.SHANGHAI).date() == date(2025, 3, 7)
    moved = LetterEvent.objects.get(letter=letter, verb="due_recomputed")
    assert moved.data["first_was"].startswith("2025-03-06") and moved.data["first"].startswith("2025-03-07")
