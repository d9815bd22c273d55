"""The working-day calendar's public contract, tested against the official 2026 arrangement.

Source: 国务院办公厅关于2026年部分节假日安排的通知, 国办发明电〔2025〕7号 (State Council General Office, November 2025):
元旦 1月1日至3日放假，1月4日（周日）上班；春节 2月15日至23日放假，2月14日（周六）、2月28日（周六）上班；
清明节 4月4日至6日放假；劳动节 5月1日至5日放假，5月9日（周六）上班；端午节 6月19日至21日放假；
中秋节 9月25日至27日放假；国庆节 10月1日至7日放假，9月20日（周日）、10月10日（周六）上班。
The chinese-calendar package (1.11) carries exactly these days; `test_every_day_of_2026_follows_the_notice` checks it
day by day, so an upgrade of the package that disagreed with the notice would fail here first.

For a year without data the statutory days of 《全国年节及纪念日放假办法》 (国务院令第798号) apply, without 调休.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.checks import run_checks
from freezegun import freeze_time
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from dangjian.core import calendar
from dangjian.core.calendar import SHANGHAI, add_workdays, deadline, is_known, is_workday, workdays_between
from dangjian.core.models import CalendarDay, CalendarYear


@dataclass(frozen=True)
class Holiday:
    name: str
    first: date  # first day off
    last: date  # last day off
    working_weekend_days: tuple[date, ...]  # 调休: Saturdays/Sundays that are working days
    eve: date  # the last working day before the holiday
    after_eve: date  # the working day that follows `eve` (a 调休 day or the day after the holiday)
    resume: date  # the first working day after the holiday's last day


NOTICE_2026 = [
    Holiday("元旦", date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 4),),
            eve=date(2025, 12, 31), after_eve=date(2026, 1, 4), resume=date(2026, 1, 4)),
    Holiday("春节", date(2026, 2, 15), date(2026, 2, 23), (date(2026, 2, 14), date(2026, 2, 28)),
            eve=date(2026, 2, 13), after_eve=date(2026, 2, 14), resume=date(2026, 2, 24)),
    Holiday("清明", date(2026, 4, 4), date(2026, 4, 6), (),
            eve=date(2026, 4, 3), after_eve=date(2026, 4, 7), resume=date(2026, 4, 7)),
    Holiday("劳动节", date(2026, 5, 1), date(2026, 5, 5), (date(2026, 5, 9),),
            eve=date(2026, 4, 30), after_eve=date(2026, 5, 6), resume=date(2026, 5, 6)),
    Holiday("端午", date(2026, 6, 19), date(2026, 6, 21), (),
            eve=date(2026, 6, 18), after_eve=date(2026, 6, 22), resume=date(2026, 6, 22)),
    Holiday("中秋", date(2026, 9, 25), date(2026, 9, 27), (),
            eve=date(2026, 9, 24), after_eve=date(2026, 9, 28), resume=date(2026, 9, 28)),
    Holiday("国庆", date(2026, 10, 1), date(2026, 10, 7), (date(2026, 9, 20), date(2026, 10, 10)),
            eve=date(2026, 9, 30), after_eve=date(2026, 10, 8), resume=date(2026, 10, 8)),
]  # fmt: skip
BY_NAME = {h.name: h for h in NOTICE_2026}


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def holidays_of(arrangement: list[Holiday]) -> set[date]:
    return {d for h in arrangement for d in days(h.first, h.last)}


def working_weekends_of(arrangement: list[Holiday]) -> set[date]:
    return {d for h in arrangement for d in h.working_weekend_days}


def end_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=SHANGHAI)


def enter_year(year: int, *, holidays: set[date], workdays: set[date], source: str = "") -> CalendarYear:
    """What an administrator does in the admin: one CalendarYear and a CalendarDay per day that differs."""
    entered = CalendarYear.objects.create(year=year, source=source)
    CalendarDay.objects.bulk_create(
        [CalendarDay(year=entered, day=d, is_workday=False, name="休") for d in holidays]
        + [CalendarDay(year=entered, day=d, is_workday=True, name="班") for d in workdays]
    )
    calendar.clear_cache()
    return entered


# --- the 2026 arrangement -------------------------------------------------------------------------------------


def test_the_notice_table_is_consistent_with_itself():
    for h in NOTICE_2026:
        assert all(d.weekday() >= 5 for d in h.working_weekend_days), h.name
        assert h.eve < h.first and h.resume > h.last, h.name


@pytest.mark.django_db
def test_every_day_of_2026_follows_the_notice():
    off, on = holidays_of(NOTICE_2026), working_weekends_of(NOTICE_2026)
    wrong = [
        d
        for d in days(date(2026, 1, 1), date(2026, 12, 31))
        if is_workday(d) != (d in on or (d.weekday() < 5 and d not in off))
    ]
    assert wrong == []
    assert len(off) == 33 and len(on) == 6


@pytest.mark.django_db
@pytest.mark.parametrize("h", NOTICE_2026, ids=lambda h: h.name)
def test_no_day_of_a_2026_holiday_is_a_workday(h):
    assert [d for d in days(h.first, h.last) if is_workday(d)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("h", NOTICE_2026, ids=lambda h: h.name)
def test_the_days_around_a_2026_holiday_are_workdays(h):
    assert is_workday(h.eve)
    assert is_workday(h.after_eve)
    assert is_workday(h.resume)
    for d in h.working_weekend_days:
        assert is_workday(d), f"{d} is a 调休 working {d:%A}"


@pytest.mark.django_db
@pytest.mark.parametrize("h", NOTICE_2026, ids=lambda h: h.name)
def test_add_workdays_steps_over_a_2026_holiday(h):
    assert add_workdays(h.eve, 1) == h.after_eve
    # From the eve, the working days after it up to the resumption are the 调休 days in between plus the resumption.
    between = [d for d in h.working_weekend_days if h.eve < d < h.resume]
    assert add_workdays(h.eve, len(between) + 1) == h.resume
    assert workdays_between(h.eve, h.resume) == len(between) + 1
    # Any day of the holiday counts as day zero: the first working day after it is the resumption.
    for d in days(h.first, h.last):
        assert add_workdays(d, 1) == h.resume, d
        assert add_workdays(d, 0) == d


@pytest.mark.django_db
@pytest.mark.parametrize("h", NOTICE_2026, ids=lambda h: h.name)
def test_deadline_around_a_2026_holiday_is_end_of_day_in_shanghai(h):
    received = datetime(h.eve.year, h.eve.month, h.eve.day, 17, 30, tzinfo=SHANGHAI)
    due = deadline(received, 1)
    assert due == end_of_day(h.after_eve)
    assert due.utcoffset() == timedelta(hours=8)
    assert (due.hour, due.minute, due.second) == (23, 59, 59)
    assert deadline(received, 0) == end_of_day(h.eve)


@pytest.mark.django_db
def test_the_spring_festival_2026_in_detail():
    # Friday 13 February is the last ordinary workday; Saturday the 14th is worked; nine days off from the 15th.
    assert add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert add_workdays(date(2026, 2, 24), 4) == date(2026, 2, 28)  # Saturday the 28th is worked
    assert add_workdays(date(2026, 2, 24), 5) == date(2026, 3, 2)
    assert not is_workday(date(2026, 3, 1))  # an ordinary Sunday


@pytest.mark.django_db
def test_national_day_2026_in_detail():
    assert is_workday(date(2026, 9, 20))  # Sunday, worked
    assert not is_workday(date(2026, 9, 19))  # Saturday, off
    assert add_workdays(date(2026, 9, 19), 1) == date(2026, 9, 20)
    assert add_workdays(date(2026, 10, 1), 3) == date(2026, 10, 10)
    assert add_workdays(date(2026, 10, 10), 1) == date(2026, 10, 12)


# --- deadline() ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deadline_uses_the_local_date_of_received_at():
    # 17:00 UTC on Friday 13 February is 01:00 on Saturday 14 February (a 调休 working day) in Shanghai.
    received = datetime(2026, 2, 13, 17, 0, tzinfo=UTC)
    assert received.astimezone(SHANGHAI).date() == date(2026, 2, 14)
    assert deadline(received, 1) == end_of_day(date(2026, 2, 24))
    # One hour earlier it is still Friday the 13th in Shanghai: the next working day is the Saturday.
    assert deadline(datetime(2026, 2, 13, 15, 59, tzinfo=UTC), 1) == end_of_day(date(2026, 2, 14))


@pytest.mark.django_db
def test_deadline_of_a_letter_received_on_new_years_eve_night():
    # 2025-12-31 16:30 UTC is already 1 January 2026 00:30 in Shanghai: day zero is the holiday.
    assert deadline(datetime(2025, 12, 31, 16, 30, tzinfo=UTC), 1) == end_of_day(date(2026, 1, 4))
    assert deadline(datetime(2025, 12, 31, 15, 30, tzinfo=UTC), 2) == end_of_day(date(2026, 1, 5))


@pytest.mark.django_db
def test_deadline_is_the_same_instant_whatever_zone_received_at_is_in():
    instant = datetime(2026, 4, 30, 9, 0, tzinfo=SHANGHAI)
    assert deadline(instant, 3) == deadline(instant.astimezone(UTC), 3) == end_of_day(date(2026, 5, 8))


def test_deadline_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        deadline(datetime(2026, 2, 13, 17, 0), 1)


def test_add_workdays_refuses_a_negative_count():
    with pytest.raises(ValueError):
        add_workdays(date(2026, 2, 13), -1)


def test_is_workday_refuses_a_datetime():
    with pytest.raises(TypeError):
        is_workday(datetime(2026, 2, 14, 9, 0, tzinfo=SHANGHAI))


@pytest.mark.django_db
def test_add_zero_workdays_is_the_start_even_on_a_holiday_or_weekend():
    for start in (date(2026, 2, 13), date(2026, 2, 17), date(2026, 3, 1), date(2027, 10, 2)):
        assert add_workdays(start, 0) == start


# --- known and unknown years, administrators' overrides ---------------------------------------------------------


@pytest.mark.django_db
def test_2026_is_known_and_2027_is_not_yet():
    assert is_known(2026)
    assert is_known(2025)
    assert not is_known(2027)


@pytest.mark.django_db
def test_an_unknown_year_has_its_statutory_holidays_without_adjusted_days():
    # 2027 by the rules alone: 元旦 Fri 1 Jan; 春节 除夕 Fri 5 Feb to 初三 Mon 8 Feb; 清明 Mon 5 Apr; 劳动节 Sat 1 and
    # Sun 2 May; 端午 Wed 9 Jun; 中秋 Wed 15 Sep; 国庆 Fri 1 to Sun 3 Oct.
    for d in (date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 6, 9),
              date(2027, 9, 15), date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)):  # fmt: skip
        assert not is_workday(d), d
    # No 调休 and no 补假: the Monday after 国庆 and after 劳动节 are workdays, and no weekend day is worked.
    assert is_workday(date(2027, 10, 4))
    assert is_workday(date(2027, 5, 3))
    assert is_workday(date(2027, 2, 9))
    assert not any(is_workday(d) for d in days(date(2027, 1, 1), date(2027, 12, 31)) if d.weekday() >= 5)
    assert add_workdays(date(2027, 9, 30), 1) == date(2027, 10, 4)
    assert add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 9)


@pytest.mark.django_db
def test_add_workdays_crosses_from_a_known_into_an_unknown_year():
    # Thursday 31 December 2026; Friday 1 January 2027 is 元旦 by statute, then a weekend.
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 4)


@pytest.mark.django_db
def test_an_entered_year_becomes_known_with_its_days():
    assert not is_known(2027)
    enter_year(2027, holidays={date(2027, 2, 10)}, workdays={date(2027, 2, 20)}, source="国办发明电〔2026〕X号")
    assert is_known(2027)
    assert not is_workday(date(2027, 2, 10))  # a Wednesday off
    assert is_workday(date(2027, 2, 20))  # a Saturday worked


@pytest.mark.django_db
def test_an_entered_year_overrides_the_package():
    official = holidays_of(NOTICE_2026)
    amended = date(2026, 2, 24)  # the Tuesday after 春节, made a day off by a (hypothetical) later notice
    assert is_workday(amended)
    enter_year(2026, holidays=official | {amended}, workdays=working_weekends_of(NOTICE_2026))
    assert is_known(2026)
    assert not is_workday(amended)
    assert add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 25)
    assert is_workday(date(2026, 2, 14)) and not is_workday(date(2026, 2, 16))


@pytest.mark.django_db
def test_an_entered_year_replaces_the_package_data_for_that_year_entirely():
    # The admin's table is the whole arrangement: a day it does not list is an ordinary weekday or weekend day.
    enter_year(2026, holidays={date(2026, 3, 2)}, workdays=set())
    assert not is_workday(date(2026, 3, 2))
    assert is_workday(date(2026, 10, 1))  # a Thursday the entered table does not list
    assert not is_workday(date(2026, 10, 10))  # a Saturday it does not list as worked
    assert is_workday(date(2025, 12, 31)) and not is_workday(date(2025, 10, 1))  # other years keep the package


def test_an_administrator_enters_a_year_in_the_admin_and_it_counts_at_once(verified_admin):
    assert not is_known(2027)  # now cached: the admin's save must invalidate it
    response = verified_admin.post(
        "/admin/core/calendaryear/add/",
        {
            "year": "2027",
            "source": "国办发明电〔2026〕X号",
            "created_at_0": "2026-11-20",
            "created_at_1": "10:00:00",
            "days-TOTAL_FORMS": "2",
            "days-INITIAL_FORMS": "0",
            "days-MIN_NUM_FORMS": "0",
            "days-MAX_NUM_FORMS": "1000",
            "days-0-day": "2027-02-10",
            "days-0-name": "春节",
            "days-1-day": "2027-02-20",
            "days-1-is_workday": "on",
            "days-1-name": "春节调休上班",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarDay.objects.filter(year__year=2027).count() == 2
    assert is_known(2027)
    assert not is_workday(date(2027, 2, 10))
    assert is_workday(date(2027, 2, 20))


# --- the warning while the coming year is unknown ------------------------------------------------------------------


def calendar_warnings() -> list:
    return [m for m in run_checks(databases=["default"]) if m.id == "dangjian.W001"]


@pytest.mark.django_db
def test_system_check_warns_while_the_next_twelve_months_are_not_known():
    with freeze_time(datetime(2026, 6, 1, 4, 0, tzinfo=UTC)):
        warnings = calendar_warnings()
    assert len(warnings) == 1
    assert "2027" in warnings[0].msg


@pytest.mark.django_db
def test_system_check_is_silent_while_the_next_twelve_months_are_known():
    with freeze_time(datetime(2025, 3, 1, 4, 0, tzinfo=UTC)):
        assert calendar_warnings() == []


@pytest.mark.django_db
def test_system_check_is_silent_once_the_missing_year_is_entered():
    with freeze_time(datetime(2026, 11, 28, 4, 0, tzinfo=UTC)):
        assert len(calendar_warnings()) == 1
        enter_year(2027, holidays={date(2027, 1, 1)}, workdays=set())
        assert calendar_warnings() == []


def test_the_admin_shows_a_banner_while_the_coming_year_is_unknown(verified_admin):
    with freeze_time(datetime(2026, 11, 28, 4, 0, tzinfo=UTC)):
        page = verified_admin.get("/admin/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'class="calendar-banner"' in html
        assert "2027" in html
        assert "/admin/core/calendaryear/add/" in html

        enter_year(2027, holidays={date(2027, 1, 1)}, workdays=set())
        assert 'class="calendar-banner"' not in verified_admin.get("/admin/").content.decode()


# --- properties ---------------------------------------------------------------------------------------------------

# From the package's first year to a margin before the statutory rules' last year (2099).
any_day = st.dates(min_value=date(2004, 1, 1), max_value=date(2097, 12, 31))
counts = st.integers(min_value=0, max_value=400)
db_property = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.django_db
@db_property
@given(start=any_day, n=st.integers(min_value=1, max_value=400))
def test_add_workdays_lands_on_a_workday(start, n):
    assert is_workday(add_workdays(start, n))


@pytest.mark.django_db
@db_property
@given(start=any_day, n=counts)
def test_workdays_between_inverts_add_workdays(start, n):
    end = add_workdays(start, n)
    assert workdays_between(start, end) == n
    assert workdays_between(end, start) == -n


@pytest.mark.django_db
@db_property
@given(start=any_day, n=counts)
def test_add_workdays_is_strictly_increasing_in_n(start, n):
    assert add_workdays(start, n) < add_workdays(start, n + 1)
    assert add_workdays(start, n) >= start


@pytest.mark.django_db
@db_property
@given(received=st.datetimes(min_value=datetime(2004, 1, 2), max_value=datetime(2097, 12, 30), timezones=st.just(UTC)),
       n=counts)  # fmt: skip
def test_deadline_is_the_end_of_the_local_days_nth_workday(received, n):
    due = deadline(received, n)
    assert due == end_of_day(add_workdays(received.astimezone(SHANGHAI).date(), n))
    assert due > received
