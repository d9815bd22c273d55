"""The working-day calendar: a public contract every deadline in Dangjian is computed with.

    is_workday(day) -> bool
    add_workdays(start, n) -> date        start is day zero whatever it is; the n-th working day after it
    deadline(received_at, workdays) -> datetime   23:59:59 Asia/Shanghai on add_workdays(local date, workdays)
    is_known(year) -> bool                the official arrangement for that year is loaded

Three layers, first match wins:
1. a year an administrator entered in the admin (CalendarYear with its CalendarDay rows);
2. the `chinese-calendar` package's data (holidays and 调休 working weekends as published by the State Council);
3. for any other year, the statutory holidays of 《全国年节及纪念日放假办法》 (core.statutory), without 调休.
Only layers 1 and 2 make a year *known*.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from dangjian.core import statutory

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Seconds an administrator's change may take to reach every process.
OVERRIDE_TTL = 60

# A year of the package counts as known only if its data reaches the year's last holiday (国庆, October).
_PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays if d.month == 10)
_PACKAGE_HOLIDAYS = frozenset(chinese_calendar.holidays)
_PACKAGE_WORKDAYS = frozenset(chinese_calendar.workdays)

_lock = threading.Lock()
_cache: dict[int, tuple[float, dict[date, bool] | None]] = {}


def clear_cache() -> None:
    """Forget loaded overrides (the admin calls this after a change; tests between cases)."""
    with _lock:
        _cache.clear()


#: Tasks (dotted paths of django-tasks tasks taking no arguments) to run when the official arrangement changes:
#: whoever stores a date computed from the calendar registers one that computes it again.
_WHEN_CHANGED: list[str] = []


def when_changed(task_path: str) -> None:
    """Register a task to run after an administrator changes a year's arrangement (from an app's ready())."""
    if task_path not in _WHEN_CHANGED:
        _WHEN_CHANGED.append(task_path)


def arrangement_changed() -> None:
    """A year's arrangement was entered, changed or removed: forget the cache now and, once the change commits,
    queue every registered recomputation."""
    from django.db import transaction
    from django.utils.module_loading import import_string

    clear_cache()
    for path in _WHEN_CHANGED:
        transaction.on_commit(import_string(path).enqueue)


def _overrides(year: int) -> dict[date, bool] | None:
    """The administrator's table for a year ({day: is_workday}), or None when none was entered."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(year)
        if hit is not None and now - hit[0] < OVERRIDE_TTL:
            return hit[1]
    from dangjian.core.models import CalendarDay, CalendarYear

    table: dict[date, bool] | None = None
    if CalendarYear.objects.filter(year=year).exists():
        table = dict(CalendarDay.objects.filter(year__year=year).values_list("day", "is_workday"))
    with _lock:
        _cache[year] = (now, table)
    return table


@functools.lru_cache(maxsize=256)
def _statutory_days(year: int) -> frozenset[date]:
    return frozenset(h.day for h in statutory.statutory_holidays(year))


def is_known(year: int) -> bool:
    """True when the official arrangement for the year is loaded (entered by an administrator or in the package)."""
    return _overrides(year) is not None or year in _PACKAGE_YEARS


def _checker(year: int) -> Callable[[date], bool]:
    """The working-day test for one year, from the first layer that has the year."""
    table = _overrides(year)
    if table is not None:
        return lambda d: table.get(d, d.weekday() < 5)
    if year in _PACKAGE_YEARS:
        # The package's own rule (a listed holiday is off, a listed 调休 weekend day is on), without its
        # per-call overhead: plain set lookups.
        return lambda d: d in _PACKAGE_WORKDAYS or (d.weekday() < 5 and d not in _PACKAGE_HOLIDAYS)
    holidays = _statutory_days(year)
    return lambda d: d.weekday() < 5 and d not in holidays


def is_workday(day: date) -> bool:
    if isinstance(day, datetime):
        raise TypeError("is_workday takes a date, not a datetime")
    return _checker(day.year)(day)


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after `start` (which counts as day zero whether or not it is a working day)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    checkers: dict[int, Callable[[date], bool]] = {}
    while n:
        day += timedelta(days=1)
        check = checkers.get(day.year) or checkers.setdefault(day.year, _checker(day.year))
        if check(day):
            n -= 1
    return day


def deadline(received_at: datetime, workdays: int) -> datetime:
    """End of the day (23:59:59 Asia/Shanghai) of the `workdays`-th working day after `received_at`'s local date."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    local_day = received_at.astimezone(SHANGHAI).date()
    due = add_workdays(local_day, workdays)
    return datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=SHANGHAI)


def workdays_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start` (negative if before)."""
    if end < start:
        return -workdays_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_workday(day)
    return count


def unknown_years_ahead(today: date, months: int = 12) -> list[int]:
    """Years touched by the next `months` months whose arrangement is not loaded."""
    end = today + timedelta(days=round(months * 30.44))
    return [y for y in range(today.year, end.year + 1) if not is_known(y)]
