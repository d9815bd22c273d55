"""Tests for dangjian.core.statutory: statutory holidays under 国务院令第798号, computed from the rules."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from chinese_calendar.constants import Holiday as CCHoliday
from hypothesis import given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from dangjian.core.statutory import Holiday, qingming, statutory_holidays

MODULE_PATH = Path(__file__).resolve().parents[2] / "dangjian" / "core" / "statutory.py"

# 清明 (Beijing time) 2001-2030. Agrees with chinese_calendar's solar-term formula (checked below),
# and for 2008-2026 the date lies in chinese_calendar's official Tomb-sweeping holiday set (checked below).
QINGMING = {
    2001: date(2001, 4, 5),
    2002: date(2002, 4, 5),
    2003: date(2003, 4, 5),
    2004: date(2004, 4, 4),
    2005: date(2005, 4, 5),
    2006: date(2006, 4, 5),
    2007: date(2007, 4, 5),
    2008: date(2008, 4, 4),
    2009: date(2009, 4, 4),
    2010: date(2010, 4, 5),
    2011: date(2011, 4, 5),
    2012: date(2012, 4, 4),
    2013: date(2013, 4, 4),
    2014: date(2014, 4, 5),
    2015: date(2015, 4, 5),
    2016: date(2016, 4, 4),
    2017: date(2017, 4, 4),
    2018: date(2018, 4, 5),
    2019: date(2019, 4, 5),
    2020: date(2020, 4, 4),
    2021: date(2021, 4, 4),
    2022: date(2022, 4, 5),
    2023: date(2023, 4, 5),
    2024: date(2024, 4, 4),
    2025: date(2025, 4, 4),
    2026: date(2026, 4, 5),
    2027: date(2027, 4, 5),
    2028: date(2028, 4, 4),
    2029: date(2029, 4, 4),
    2030: date(2030, 4, 5),
}

# Years for which chinese_calendar holds the official arrangement and 清明 was already a holiday.
OFFICIAL_YEARS = range(2008, 2027)


def _days(year: int, name: str) -> list[date]:
    return [h.day for h in statutory_holidays(year) if h.name == name]


def _cc_solar_term(year: int, term: str) -> date:
    (day,) = [d for d, name in chinese_calendar.get_solar_terms(date(year, 1, 1), date(year, 12, 31)) if name == term]
    return day


def _cc_tomb_sweeping_days(year: int) -> set[date]:
    days = (date(year, 3, 28) + timedelta(days=i) for i in range(15))
    return {d for d in days if chinese_calendar.get_holiday_detail(d) == (True, CCHoliday.tomb_sweeping_day.value)}


# --- 清明 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", sorted(QINGMING))
def test_qingming_table(year: int) -> None:
    assert qingming(year) == QINGMING[year]


@pytest.mark.parametrize("year", sorted(QINGMING))
def test_qingming_table_agrees_with_chinese_calendar_solar_terms(year: int) -> None:
    # Guards the table itself against typos, using an independent method (寿星公式 with corrections).
    assert _cc_solar_term(year, "清明") == QINGMING[year]


@pytest.mark.parametrize("year", OFFICIAL_YEARS)
def test_qingming_is_in_official_tomb_sweeping_holidays(year: int) -> None:
    official = _cc_tomb_sweeping_days(year)
    assert official, f"chinese_calendar has no Tomb-sweeping days for {year}"
    assert qingming(year) in official
    assert QINGMING[year] in official


@pytest.mark.parametrize(
    "expected",
    [
        date(2024, 4, 4),
        date(2025, 4, 4),
        date(2026, 4, 5),
        date(2027, 4, 5),
        date(2028, 4, 4),
        date(2032, 4, 4),
    ],
)
def test_qingming_known_dates(expected: date) -> None:
    assert qingming(expected.year) == expected


def test_qingming_matches_chinese_calendar_formula_over_whole_range() -> None:
    mismatches = [(y, qingming(y), _cc_solar_term(y, "清明")) for y in range(1901, 2100)]
    assert [m for m in mismatches if m[1] != m[2]] == []


# --- lunar festivals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_day",
    [
        date(2024, 2, 10),
        date(2025, 1, 29),
        date(2026, 2, 17),
        date(2027, 2, 6),
        date(2028, 1, 26),
        date(2030, 2, 3),
    ],
)
def test_spring_festival_first_day(first_day: date) -> None:
    days = _days(first_day.year, "spring_festival")
    assert days == [first_day + timedelta(days=i) for i in range(-1, 3)]


def test_chuxi_2026() -> None:
    assert _days(2026, "spring_festival")[0] == date(2026, 2, 16)


def test_chuxi_on_the_29th() -> None:
    # Lunar 2024's 12th month has 29 days: 除夕 2025 is 腊月廿九 (28 Jan 2025), not a nonexistent 30th.
    assert _days(2025, "spring_festival")[0] == date(2025, 1, 28)
    assert LunarDate.from_solar_date(2025, 1, 28).day == 29


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dragon_boat", date(2026, 6, 19)),
        ("mid_autumn", date(2026, 9, 25)),
        ("dragon_boat", date(2027, 6, 9)),
        ("mid_autumn", date(2027, 9, 15)),
    ],
)
def test_dragon_boat_and_mid_autumn(name: str, expected: date) -> None:
    assert _days(expected.year, name) == [expected]


def test_leap_fifth_month_does_not_confuse_dragon_boat() -> None:
    # Lunar 2020 has a leap 4th month and 2009 a leap 5th month; 端午 is in the ordinary 5th month.
    assert LunarDate.leap_month_for_year(2009) == 5
    assert _days(2009, "dragon_boat") == [date(2009, 5, 28)]
    assert _days(2020, "dragon_boat") == [date(2020, 6, 25)]


# --- whole years --------------------------------------------------------------------------------------


def test_2025_exact() -> None:
    assert statutory_holidays(2025) == [
        Holiday(date(2025, 1, 1), "new_year"),
        Holiday(date(2025, 1, 28), "spring_festival"),
        Holiday(date(2025, 1, 29), "spring_festival"),
        Holiday(date(2025, 1, 30), "spring_festival"),
        Holiday(date(2025, 1, 31), "spring_festival"),
        Holiday(date(2025, 4, 4), "tomb_sweeping"),
        Holiday(date(2025, 5, 1), "labour_day"),
        Holiday(date(2025, 5, 2), "labour_day"),
        Holiday(date(2025, 5, 31), "dragon_boat"),
        Holiday(date(2025, 10, 1), "national_day"),
        Holiday(date(2025, 10, 2), "national_day"),
        Holiday(date(2025, 10, 3), "national_day"),
        Holiday(date(2025, 10, 6), "mid_autumn"),
    ]


@pytest.mark.parametrize("year", [2025, 2026])
def test_new_rules_years_are_subset_of_official_arrangement(year: int) -> None:
    holidays = statutory_holidays(year)
    assert len(holidays) == 13
    not_holidays = [h for h in holidays if not chinese_calendar.is_holiday(h.day)]
    assert not_holidays == []


@pytest.mark.parametrize("year", OFFICIAL_YEARS)
def test_lunar_festival_days_were_holidays_under_older_rules_too(year: int) -> None:
    # 除夕 is left out on purpose: under the 2013 revision (国务院令第644号, 2014-2024) it was not a
    # statutory day, and in several years (e.g. 2014) it was an ordinary working day. 初三 was not
    # statutory under the 2007 revision (2008-2013: 除夕、初一、初二), but the 7-day arrangement
    # always covered it, so it is kept.
    spring = _days(year, "spring_festival")[1:]
    checked = spring + _days(year, "dragon_boat") + _days(year, "mid_autumn")
    assert len(checked) == 5
    assert [d for d in checked if not chinese_calendar.is_holiday(d)] == []
    # Stronger than is_holiday (which is also True on weekends): the days carry the festival's name.
    assert {chinese_calendar.get_holiday_detail(d)[1] for d in spring} == {CCHoliday.spring_festival.value}


def test_mid_autumn_sharing_national_day() -> None:
    holidays = statutory_holidays(2020)
    assert len(holidays) == 13
    assert len({h.day for h in holidays}) == 12
    assert Holiday(date(2020, 10, 1), "mid_autumn") in holidays
    assert Holiday(date(2020, 10, 1), "national_day") in holidays


def _check_year(year: int) -> None:
    holidays = statutory_holidays(year)
    days = [h.day for h in holidays]
    assert len(holidays) == 13
    assert days == sorted(days)
    assert all(d.year == year for d in days)
    assert Counter(h.name for h in holidays) == {
        "new_year": 1,
        "spring_festival": 4,
        "tomb_sweeping": 1,
        "labour_day": 2,
        "dragon_boat": 1,
        "mid_autumn": 1,
        "national_day": 3,
    }
    # All 13 days are distinct except when 中秋 falls on 1-3 October and shares a 国庆节 day.
    (mid_autumn,) = _days(year, "mid_autumn")
    shared = mid_autumn in _days(year, "national_day")
    assert shared == (mid_autumn.month == 10 and mid_autumn.day <= 3)
    assert len(set(days)) == (12 if shared else 13)

    assert date(year, 4, 4) <= qingming(year) <= date(year, 4, 6)
    assert _days(year, "tomb_sweeping") == [qingming(year)]

    chuxi, first, *_ = spring = _days(year, "spring_festival")
    assert date(year, 1, 21) <= first <= date(year, 2, 20)
    assert spring == [chuxi + timedelta(days=i) for i in range(4)]
    lunar_chuxi = LunarDate.from_solar_date(chuxi.year, chuxi.month, chuxi.day)
    assert (lunar_chuxi.year, lunar_chuxi.month, lunar_chuxi.day in (29, 30)) == (year - 1, 12, True)
    lunar_first = LunarDate.from_solar_date(first.year, first.month, first.day)
    assert (lunar_first.year, lunar_first.month, lunar_first.day, lunar_first.is_leap_month) == (
        year,
        1,
        1,
        False,
    )

    for name, (month, day) in {"dragon_boat": (5, 5), "mid_autumn": (8, 15)}.items():
        (d,) = _days(year, name)
        lunar = LunarDate.from_solar_date(d.year, d.month, d.day)
        assert (lunar.year, lunar.month, lunar.day, lunar.is_leap_month) == (year, month, day, False)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1901, max_value=2099))
def test_every_supported_year(year: int) -> None:
    _check_year(year)


@pytest.mark.parametrize("year", [1901, 2033, 2099])
def test_edge_years(year: int) -> None:
    _check_year(year)


@pytest.mark.parametrize("year", [-1, 0, 1900, 2100, 9999])
def test_out_of_range_years_raise(year: int) -> None:
    with pytest.raises(ValueError, match=r"1901-2099"):
        statutory_holidays(year)
    with pytest.raises(ValueError, match=r"1901-2099"):
        qingming(year)


def test_non_int_year_raises() -> None:
    with pytest.raises(TypeError):
        statutory_holidays(2025.0)  # type: ignore[arg-type]


def test_holiday_is_frozen() -> None:
    holiday = statutory_holidays(2025)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        holiday.day = date(2025, 1, 2)  # type: ignore[misc]


def test_module_does_not_import_django() -> None:
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('statutory', {str(MODULE_PATH)!r})\n"
        "module = sys.modules['statutory'] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert len(module.statutory_holidays(2025)) == 13\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
