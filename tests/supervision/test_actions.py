"""The life of a letter through the actions: intake with a receipt, routing, deadlines, answer, rating."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from freezegun import freeze_time

from dangjian.core import calendar
from dangjian.core.models import AuditRecord, Notification
from dangjian.supervision import actions, receipts
from dangjian.supervision.models import Letter, LetterEvent, RatingValue, Status
from tests.supervision.conftest import MONDAY


def local(dt: datetime) -> tuple:
    dt = dt.astimezone(calendar.SHANGHAI)
    return dt.date().isoformat(), dt.strftime("%H:%M:%S")


def test_web_letter_gets_a_receipt_of_at_least_64_bits_and_only_its_hash_is_stored(write):
    sub = write(anonymous=False, contact_name="刘建华", contact_phone="13907970000")
    normalised = receipts.normalise(sub.receipt)
    assert normalised is not None and len(normalised) * 5 >= 64
    letter = Letter.objects.get()
    assert letter.receipt_hash == receipts.receipt_hash(sub.receipt)
    stored = " ".join(str(v) for v in Letter.objects.values().get().values())
    assert normalised not in stored.replace("-", "") and sub.receipt not in stored
    assert actions.letter_for_receipt(sub.receipt.lower().replace("-", " ")) == letter
    sms = Notification.objects.get(kind="letter.receipt")
    assert sms.channel == "sms" and sms.address == "13907970000" and sub.receipt in sms.body


def test_the_outbox_forgets_the_receipt_once_the_message_has_left(write, caplog):
    from dangjian.core import outbox

    sub = write(anonymous=False, contact_name="刘建华", contact_phone="13907970000")
    sms = Notification.objects.get(kind="letter.receipt")
    with caplog.at_level("INFO"):
        assert outbox.deliver(sms.pk) == "sent"
    sms.refresh_from_db()
    assert sub.receipt not in sms.body and sms.body_after_delivery == ""
    assert sms.body.startswith("您写给民声通道的来信") and "查询码：（送达后已删除）" in sms.body
    assert sub.receipt not in caplog.text  # the console gateway logs the message without it


def test_two_letters_never_share_a_receipt(write):
    assert write().receipt != write().receipt


def test_anonymous_letter_keeps_no_contact_and_sends_nothing_to_the_writer(write):
    write(anonymous=True, contact_name="刘建华", contact_phone="13907970000", contact_email="liu@example.com")
    letter = Letter.objects.get()
    assert (letter.contact_name, letter.contact_phone, letter.contact_email) == ("", "", "")
    assert letter.is_anonymous
    assert not Notification.objects.filter(kind="letter.receipt").exists()


def test_a_named_letter_needs_a_name_and_a_way_to_answer(write):
    with pytest.raises(ValidationError) as exc:
        write(anonymous=False, contact_name="", contact_phone="", contact_email="bad")
    assert {"contact_name", "contact_email"} <= set(exc.value.message_dict)
    assert not Letter.objects.exists()


def test_a_channel_that_refuses_anonymous_letters_says_so(write, channels):
    channels["county-head"].accepts_anonymous = False
    channels["county-head"].save()
    with pytest.raises(ValidationError) as exc:
        write("county-head", anonymous=True)
    assert "anonymous" in exc.value.message_dict
    assert not Letter.objects.exists()


@pytest.mark.parametrize(
    ("title", "body", "field"), [("", "正文", "title"), ("标题", "  ", "body"), ("x" * 201, "正文", "title")]
)
def test_bad_input_is_refused_with_a_field_message_and_stores_nothing(write, title, body, field):
    with pytest.raises(ValidationError) as exc:
        write(title=title or " ", body=body)
    assert field in exc.value.message_dict
    assert not Letter.objects.exists() and not AuditRecord.objects.filter(verb="letter.submit").exists()


def test_unknown_channel_is_refused(write):
    with pytest.raises(ValidationError):
        write("no-such-channel")


def test_the_same_letter_twice_is_a_duplicate(write):
    write(title="路灯", body="路灯坏了")
    with pytest.raises(ValidationError) as exc:
        write(title="路灯", body="路灯 坏了")
    assert exc.value.error_dict["body"][0].code == "duplicate"
    assert Letter.objects.count() == 1


def test_due_dates_are_3_and_15_working_days_end_of_day_in_huichang(write):
    letter = write(received_at=MONDAY).letter
    assert local(letter.first_response_due) == ("2025-03-06", "23:59:59")
    assert local(letter.result_due) == ("2025-03-24", "23:59:59")


def test_due_dates_skip_the_national_day_holiday_and_count_the_makeup_saturday(write):
    # 2025: 1–8 October off; Saturday 11 October is a working day (国务院办公厅 2025 holiday arrangement).
    letter = write(received_at=datetime(2025, 9, 30, 10, tzinfo=calendar.SHANGHAI)).letter
    assert local(letter.first_response_due)[0] == "2025-10-11"


def test_a_calendar_day_channel_counts_every_day(write, channels):
    channels["voice"].working_days = False
    channels["voice"].save()
    letter = write(received_at=datetime(2025, 9, 30, 10, tzinfo=calendar.SHANGHAI)).letter
    assert local(letter.first_response_due)[0] == "2025-10-03"


def test_office_dispatches_to_a_unit_and_its_responders_are_told(write, people, tree):
    letter = write().letter
    assert letter.status == Status.RECEIVED and letter.unit == tree["county"]
    actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["t1"], co_units=[tree["d1"]])
    letter.refresh_from_db()
    assert letter.status == Status.DISPATCHED and letter.unit == tree["t1"]
    assert list(letter.co_units.all()) == [tree["d1"]]
    assert Notification.objects.filter(kind="letter.dispatched", recipient=people["responder"]).exists()
    assert LetterEvent.objects.filter(letter=letter, verb="dispatched").exists()
    assert AuditRecord.objects.filter(verb="letter.dispatch", object_id=str(letter.pk)).exists()


def test_only_the_office_dispatches(write, people, tree):
    letter = write().letter
    with pytest.raises(PermissionDenied):
        actions.dispatch_letter(actor=people["responder"], letter=letter, unit=tree["t1"])
    letter.refresh_from_db()
    assert letter.status == Status.RECEIVED


def test_a_responder_of_another_township_cannot_follow_up(dispatched, people):
    letter = dispatched().letter
    with pytest.raises(PermissionDenied):
        actions.post_follow_up(actor=people["other"], letter=letter, body="已收悉")
    assert not letter.follow_ups.exists()


@freeze_time(MONDAY + timedelta(days=1))
def test_first_follow_up_is_posted_in_the_units_name_and_stops_the_first_clock(dispatched, people, tree):
    letter = dispatched().letter
    follow_up = actions.post_follow_up(actor=people["responder"], letter=letter, body="来信收悉，正在核查。")
    letter.refresh_from_db()
    assert follow_up.unit == tree["t1"]
    assert letter.status == Status.FOLLOWED_UP and letter.first_response_at is not None
    assert not letter.first_response_late(now=MONDAY + timedelta(days=30))
    assert letter.result_late(now=MONDAY + timedelta(days=30))


def test_a_unit_asks_for_a_transfer_with_a_reason_and_the_letter_goes_back_to_the_office(dispatched, people, tree):
    letter = dispatched().letter
    with pytest.raises(ValidationError):
        actions.request_transfer(actor=people["responder"], letter=letter, reason=" ")
    actions.request_transfer(
        actor=people["responder"], letter=letter, reason="属县住建局职责", suggested_unit=tree["d1"]
    )
    letter.refresh_from_db()
    assert letter.status == Status.RECEIVED and letter.unit == tree["county"]
    event = LetterEvent.objects.get(letter=letter, verb="transfer_requested")
    assert event.note == "属县住建局职责" and event.data["suggested_unit"] == tree["d1"].pk
    actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["d1"])
    assert Letter.objects.get().unit == tree["d1"]


def test_result_is_published_only_after_the_unit_head_signs_it_off(dispatched, people):
    letter = dispatched(channel="secretary").letter
    result = actions.post_result(actor=people["responder"], letter=letter, body="已维修完毕。")
    assert not Letter.objects.published().exists()
    with pytest.raises(PermissionDenied):
        actions.sign_off_result(actor=people["responder"], result=result)
    assert not Letter.objects.published().exists()
    actions.sign_off_result(actor=people["head"], result=result)
    letter.refresh_from_db()
    assert letter.status == Status.ANSWERED and letter in Letter.objects.published()


def test_head_sends_a_result_back_with_a_reason(dispatched, people):
    letter = dispatched().letter
    result = actions.post_result(actor=people["responder"], letter=letter, body="已处理。")
    actions.sign_off_result(actor=people["head"], result=result, approve=False, note="请写明处理时间。")
    letter.refresh_from_db()
    assert letter.status == Status.FOLLOWED_UP and not letter.results.exists()


def test_a_confidential_channels_letter_is_never_published(dispatched, people, keys):
    letter = dispatched(channel="supervision").letter
    result = actions.post_result(actor=people["responder"], letter=letter, body="已查处。")
    actions.sign_off_result(actor=people["head"], result=result, unlocked=keys["head"])
    assert not Letter.objects.published().exists()


def test_rating_unsatisfied_then_reopening_once_sends_the_letter_back_to_the_unit(dispatched, people):
    sub = dispatched()
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已处理。")
    actions.sign_off_result(actor=people["head"], result=result)
    with pytest.raises(ValidationError):
        actions.rate_letter(receipt="AAAA-AAAA-AAAA-AAAA", value=RatingValue.SATISFIED)
    actions.rate_letter(receipt=sub.receipt, value=RatingValue.UNSATISFIED)
    actions.reopen_letter(receipt=sub.receipt, reason="路灯还是不亮。")
    letter = Letter.objects.get()
    assert letter.status == Status.FOLLOWED_UP and letter.reopened_count == 1 and letter.published_at is None
    assert Notification.objects.filter(kind="letter.reopened", recipient=people["responder"]).exists()
    result = actions.post_result(actor=people["responder"], letter=letter, body="已更换灯具。")
    actions.sign_off_result(actor=people["head"], result=result)
    actions.rate_letter(receipt=sub.receipt, value=RatingValue.UNSATISFIED)
    with pytest.raises(ValidationError):
        actions.reopen_letter(receipt=sub.receipt, reason="还是不满意")
    assert Letter.objects.get().status == Status.CLOSED


@freeze_time(MONDAY + timedelta(hours=1))
def test_a_granted_extension_moves_the_due_date_and_the_letter_is_not_late(dispatched, people):
    letter = dispatched().letter
    ext = actions.request_extension(
        actor=people["responder"], letter=letter, which="first", workdays=2, reason="需现场核查"
    )
    actions.decide_extension(actor=people["office"], extension=ext, grant=True)
    letter.refresh_from_db()
    assert local(letter.first_response_due)[0] == "2025-03-10"
    assert not letter.first_response_late(now=datetime(2025, 3, 8, 12, tzinfo=calendar.SHANGHAI))


def test_the_scheduler_runs_the_deadline_sweep_at_nine_and_drafts_the_bulletin():
    from dangjian.config.schedule import SCHEDULE

    jobs = {j.name: j for j in SCHEDULE}
    assert jobs["supervision.deadlines"].daily_at == "09:00"
    assert jobs["supervision.deadlines"].task == "dangjian.supervision.tasks.sweep_deadlines"
    assert jobs["supervision.bulletin"].task == "dangjian.supervision.tasks.draft_monthly_bulletin"
