"""The calendar's fast path agrees with the chinese-calendar package on every day the package knows."""

from datetime import date, timedelta

import chinese_calendar

from dangjian.core import calendar


def test_every_known_day_agrees_with_the_package(db):
    day, last = date(2004, 1, 1), date(2026, 12, 31)
    disagreements = []
    while day <= last:
        if calendar.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []
