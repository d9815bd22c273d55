"""Public notices (公示): a period in working days, at least five for a 任前公示, objections that reach the supervision
office during the period, and a period that closes by itself."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core import calendar
from dangjian.core.models import AuditRecord
from dangjian.publicity import actions
from dangjian.publicity.models import Classification, NoticeKind, NoticePage
from dangjian.supervision.models import Channel, Letter
from tests.publicity.conftest import add_page


@pytest.fixture
def notices(site):
    Channel.objects.create(code="notice", name="公示异议", unit=site["tree"]["d1"], accepts_anonymous=True)
    return site["news"]


def make_notice(column, *, start: date | None = None, workdays: int = 5, kind=NoticeKind.PRE_APPOINTMENT, **kw):
    return add_page(
        column,
        NoticePage,
        title=kw.pop("title", "干部任前公示"),
        kind=kind,
        period_start=start or timezone.localdate(),
        period_workdays=workdays,
        objection_contact="电话：0797-5621234",
        **kw,
    )


def test_the_period_holds_its_number_of_working_days_counting_the_start(db):
    notice = NoticePage(kind=NoticeKind.PRE_APPOINTMENT, period_start=date(2026, 3, 2), period_workdays=5)
    assert notice.compute_period_end() == date(2026, 3, 6)  # Monday to Friday
    around_national_day = NoticePage(kind=NoticeKind.COMMENDATION, period_start=date(2026, 9, 28), period_workdays=5)
    end = around_national_day.compute_period_end()
    days = [date(2026, 9, 28) + timedelta(days=i) for i in range((end - date(2026, 9, 28)).days + 1)]
    assert sum(calendar.is_workday(d) for d in days) == 5 and calendar.is_workday(end)
    assert end > date(2026, 10, 7)  # the Golden Week holiday does not count


def test_a_pre_appointment_notice_of_fewer_than_five_working_days_is_refused(notices):
    notice = make_notice(notices, publish=False)
    notice.period_workdays = 4
    with pytest.raises(ValidationError) as refused:
        notice.save_revision()  # what the admin's save and publish do first
    assert "period_workdays" in refused.value.message_dict
    assert NoticePage.objects.get(pk=notice.pk).period_workdays == 5 and notice.revisions.count() == 1
    commendation = make_notice(notices, workdays=3, kind=NoticeKind.COMMENDATION, title="表彰先进公示")
    assert commendation.live


def test_the_database_refuses_a_short_pre_appointment_notice_beneath_the_orm(notices):
    notice = make_notice(notices)
    with pytest.raises(IntegrityError), transaction.atomic():
        NoticePage.objects.filter(pk=notice.pk).update(period_workdays=3)


def test_a_new_pre_appointment_notice_cannot_start_in_the_past(notices):
    with pytest.raises(ValidationError) as refused:
        make_notice(notices, start=timezone.localdate() - timedelta(days=3))
    assert "period_start" in refused.value.message_dict


def test_during_the_period_the_page_shows_how_to_object_and_takes_an_objection(notices, client):
    notice = make_notice(notices)
    page = client.get(notice.url).content.decode()
    assert "0797-5621234" in page and 'action="/publicity/notices/' in page
    response = client.post(
        f"/publicity/notices/{notice.pk}/object/",
        {"title": "对拟任人选的意见", "body": "反映该同志工作作风方面的情况。", "anonymous": "on"},
    )
    assert response.status_code == 302
    letter = Letter.objects.get()
    assert letter.channel.code == "notice" and letter.subject_ref == actions.objection_ref(notice)
    assert list(actions.supervision_letters(notice)) == [letter]


def test_a_bad_objection_is_refused_with_a_reason_and_stores_nothing(notices, client):
    notice = make_notice(notices)
    response = client.post(f"/publicity/notices/{notice.pk}/object/", {"title": "", "body": "内容"})
    assert response.status_code == 400
    assert Letter.objects.count() == 0
    named = client.post(
        f"/publicity/notices/{notice.pk}/object/", {"title": "意见", "body": "内容", "contact_name": "张三"}
    )
    assert named.status_code == 400 and Letter.objects.count() == 0  # no telephone or e-mail to reply to


def test_the_period_closes_by_itself_and_then_takes_no_objection(notices, client):
    notice = make_notice(notices, kind=NoticeKind.COMMENDATION, title="表彰先进公示")
    ended = timezone.localdate() + timedelta(days=30)
    assert notice.is_open() and not notice.is_open(today=ended)
    NoticePage.objects.filter(pk=notice.pk).update(period_start=date(2026, 1, 5))  # a period long past
    notice.refresh_from_db()
    notice.save()  # recomputes the end
    html = client.get(notice.url).content.decode()
    assert "objection-form" not in html and "notice-state closed" in html
    response = client.post(
        f"/publicity/notices/{notice.pk}/object/", {"title": "意见", "body": "内容", "anonymous": "on"}
    )
    assert response.status_code == 400 and Letter.objects.count() == 0
    with pytest.raises(ValidationError):
        actions.submit_objection(notice=notice, title="意见", body="内容", anonymous=True)


def test_closing_ended_notices_records_each_once(notices):
    notice = make_notice(notices, kind=NoticeKind.COMMENDATION, title="表彰先进公示")
    NoticePage.objects.filter(pk=notice.pk).update(period_end=timezone.localdate() - timedelta(days=1))
    assert actions.close_notices() == 1
    assert actions.close_notices() == 0
    assert NoticePage.objects.get(pk=notice.pk).closed
    assert AuditRecord.objects.filter(verb="notice.close").count() == 1


def test_the_notices_list_filters_by_kind_and_shows_open_and_closed(notices, client):
    make_notice(notices, title="任前公示甲")
    make_notice(notices, kind=NoticeKind.PERFORMANCE, title="政绩概要公示乙", workdays=7)
    html = client.get("/publicity/notices/", {"kind": NoticeKind.PERFORMANCE}).content.decode()
    assert "政绩概要公示乙" in html and "任前公示甲" not in html


def test_the_figures_count_published_public_notices_per_kind_and_year(notices, site):
    from dangjian.stats import registry

    make_notice(notices, kind=NoticeKind.COMMENDATION, title="表彰甲")
    make_notice(notices, kind=NoticeKind.COMMENDATION, title="表彰乙")
    make_notice(notices, kind=NoticeKind.PERFORMANCE, title="政绩概要", workdays=7)
    make_notice(notices, kind=NoticeKind.COMMENDATION, title="去年的表彰", start=date(2025, 6, 2))
    make_notice(notices, kind=NoticeKind.COMMENDATION, title="草稿", publish=False)
    make_notice(
        notices,
        kind=NoticeKind.COMMENDATION,
        title="内部",
        classification=Classification.INTERNAL,
        unit=site["tree"]["t1"],
    )
    this_year = timezone.localdate().year
    period = registry.Period(date(2025, 1, 1), date(this_year, 12, 31), "month")
    figures = registry.get("publicity.notices_per_kind").compute(period, None)
    assert figures.labels == [str(y) for y in range(2025, this_year + 1)]
    commendations = figures.values[NoticeKind.COMMENDATION.label]
    assert commendations[0] == 1 and commendations[-1] == 2  # neither the draft nor the internal notice
    assert figures.values[NoticeKind.PERFORMANCE.label][-1] == 1
    assert figures.values[NoticeKind.PRE_APPOINTMENT.label] == [0] * len(figures.labels)
