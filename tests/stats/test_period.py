"""Periods cut into day, month and year buckets, across month ends and leap years."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.stats.registry import Period

dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def ordered(a: date, b: date) -> tuple[date, date]:
    return (a, b) if a <= b else (b, a)


def span(start: date, days: int) -> date:
    """The day `days` after start, or the last day of the calendar."""
    return start + timedelta(days=min(days, (date.max - start).days))


@given(dates, st.integers(min_value=0, max_value=800))
def test_day_buckets_are_every_day_of_the_period(start, length):
    end = span(start, length)
    buckets = Period(start, end, "day").buckets()
    assert buckets[0] == start and buckets[-1] == end
    assert all(b - a == timedelta(days=1) for a, b in itertools.pairwise(buckets))
    assert len(buckets) == Period(start, end, "day").bucket_count() == (end - start).days + 1


@given(dates, st.integers(min_value=0, max_value=36600))
def test_month_buckets_are_the_first_days_of_consecutive_months(start, length):
    end = span(start, length)
    period = Period(start, end, "month")
    buckets = period.buckets()
    assert buckets[0] == start.replace(day=1) and buckets[-1] == end.replace(day=1)
    assert all(d.day == 1 for d in buckets)
    for prev, nxt in itertools.pairwise(buckets):
        assert (nxt.year, nxt.month) == ((prev.year + 1, 1) if prev.month == 12 else (prev.year, prev.month + 1))
    assert len(buckets) == period.bucket_count()


@given(dates, dates)
def test_year_buckets_are_new_year_days(a, b):
    start, end = ordered(a, b)
    buckets = Period(start, end, "year").buckets()
    assert buckets == [date(y, 1, 1) for y in range(start.year, end.year + 1)]
    assert len(buckets) == Period(start, end, "year").bucket_count()


@given(dates, st.integers(min_value=0, max_value=400), st.sampled_from(["day", "month", "year"]), st.data())
def test_every_day_of_the_period_falls_in_one_of_its_buckets(start, length, granularity, data):
    period = Period(start, span(start, length), granularity)
    day = data.draw(st.dates(min_value=period.start, max_value=period.end))
    assert period.bucket_of(day) in period.buckets()


def test_month_buckets_step_over_short_months():
    period = Period(date(2026, 1, 31), date(2026, 4, 30), "month")
    assert period.buckets() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert [period.label(b) for b in period.buckets()] == ["2026-01", "2026-02", "2026-03", "2026-04"]


@pytest.mark.parametrize(("year", "leap"), [(2024, True), (2023, False), (2000, True), (1900, False), (2100, False)])
def test_february_29_is_a_bucket_only_in_leap_years(year, leap):
    buckets = Period(date(year, 2, 28), date(year, 3, 1), "day").buckets()
    assert [b.isoformat()[5:] for b in buckets] == (["02-28", "02-29", "03-01"] if leap else ["02-28", "03-01"])


def test_the_last_month_of_the_calendar_has_a_bucket():
    assert Period(date(9999, 11, 15), date.max, "month").buckets() == [date(9999, 11, 1), date(9999, 12, 1)]


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 28), date(2025, 12, 1)),
        (date(2026, 1, 1), date(2025, 2, 1)),
        (date(2024, 12, 31), date(2024, 1, 1)),
    ],
)
def test_default_period_is_the_last_12_months_by_month(today, start):
    period = Period.default(today)
    assert (period.start, period.end, period.granularity) == (start, today, "month")
    assert period.bucket_count() == 12


def test_a_period_cannot_end_before_it_starts_or_have_an_unknown_granularity():
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(ValueError):
        Period(date(2026, 1, 1), date(2026, 1, 31), "week")


def test_a_bucket_starts_at_midnight_in_shanghai():
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "month")
    assert period.starts_at().isoformat() == "2026-03-01T00:00:00+08:00"
    assert period.ends_before().isoformat() == "2026-04-01T00:00:00+08:00"
    assert period.slug == "2026-03-01_2026-03-31_month"
