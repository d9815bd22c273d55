"""China's statutory public holidays for a Gregorian year, computed from the rules alone.

The rules are those of 《全国年节及纪念日放假办法》 (National Holidays and Memorial Days
Regulations) as revised by 国务院令第798号 (State Council Decree No. 798, 2024-11-10,
in force from 2025-01-01), Article 2 (holidays for all citizens, 13 days a year):

- 元旦 New Year's Day: 1 January (1 day)
- 春节 Spring Festival: 农历除夕 and 正月初一、初二、初三 (4 days)
- 清明节 Tomb-sweeping Day: the day of the 清明 solar term (1 day)
- 劳动节 Labour Day: 1 and 2 May (2 days)
- 端午节 Dragon Boat Festival: 农历五月初五 (1 day)
- 中秋节 Mid-autumn Festival: 农历八月十五 (1 day)
- 国庆节 National Day: 1, 2 and 3 October (3 days)

Only the statutory days themselves are returned. The State Council's yearly arrangement
(调休 swapped working weekends, bridging days, 补假 for holidays falling on a weekend) is
published year by year and is deliberately *not* modelled here, so for years before 2025
the result describes what the 2025 rules would give, not what was actually observed.

Note that 中秋 can fall on 1, 2 or 3 October (e.g. 2020, 2028, 2031); the two festivals then
share a day. Each festival day is still reported as its own :class:`Holiday`, so a year always
has 13 entries, but such a year has only 12 distinct dates.

The lunar calendar comes from :mod:`lunardate` (valid for lunar years 1900-2099); the 清明
instant is computed astronomically (see :func:`qingming`). No network access, no data files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

__all__ = [
    "FIRST_YEAR",
    "HOLIDAY_NAMES",
    "LAST_YEAR",
    "Holiday",
    "qingming",
    "statutory_holidays",
]

FIRST_YEAR = 1901
LAST_YEAR = 2099

#: English keys of the seven festivals, in the order the regulation lists them (also the tie-break order).
HOLIDAY_NAMES: tuple[str, ...] = (
    "new_year",
    "spring_festival",
    "tomb_sweeping",
    "labour_day",
    "dragon_boat",
    "mid_autumn",
    "national_day",
)

_BEIJING_OFFSET_DAYS = 8 / 24  # UTC+8, China Standard Time
_JD_OF_ORDINAL_ZERO = 1721424.5  # JD of 0h on date.fromordinal(n) is n + this (2000-01-01 -> 2451544.5)
_J2000 = 2451545.0
_QINGMING_LONGITUDE = 15.0  # degrees of apparent solar longitude


@dataclass(frozen=True)
class Holiday:
    """One statutory holiday day.

    ``name`` is one of :data:`HOLIDAY_NAMES` ("new_year", "spring_festival", "tomb_sweeping",
    "labour_day", "dragon_boat", "mid_autumn", "national_day").
    """

    day: date
    name: str


def _check_year(year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, not {type(year).__name__}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"year {year} is out of range: statutory holidays can only be computed "
            f"for {FIRST_YEAR}-{LAST_YEAR} (limit of the lunar calendar tables)"
        )


def _sun_apparent_longitude(jde: float) -> float:
    """Apparent geocentric ecliptic longitude of the Sun in degrees [0, 360) at Julian Ephemeris Day ``jde``.

    Low-precision method of Jean Meeus, *Astronomical Algorithms* (2nd ed., 1998), chapter 25
    ("Solar Coordinates"), equations 25.2-25.4 and the aberration/nutation correction that follows
    them. Accuracy is about 0.01 degree, i.e. the Sun's position in time is good to roughly
    15 minutes (the Sun moves ~0.9856 degree per day).
    """
    t = (jde - _J2000) / 36525.0  # Julian centuries of 36525 days from J2000.0 (TT)
    mean_longitude = 280.46646 + 36000.76983 * t + 0.0003032 * t * t  # L0, eq. 25.2
    mean_anomaly = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)  # M, eq. 25.3
    centre = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(mean_anomaly)
        + (0.019993 - 0.000101 * t) * math.sin(2 * mean_anomaly)
        + 0.000289 * math.sin(3 * mean_anomaly)
    )  # equation of the centre C
    true_longitude = mean_longitude + centre
    omega = math.radians(125.04 - 1934.136 * t)  # longitude of the Moon's ascending node
    apparent = true_longitude - 0.00569 - 0.00478 * math.sin(omega)  # aberration + nutation
    return apparent % 360.0


def _degrees_past(longitude: float, target: float) -> float:
    """Signed angle from ``target`` to ``longitude``, in (-180, 180]."""
    return (longitude - target + 180.0) % 360.0 - 180.0


def _qingming_jd(year: int) -> float:
    """Julian Day (TT, treated as UT) at which the Sun's apparent longitude reaches 15 degrees."""
    # 清明 is always 4-6 April (Beijing time); bracket generously from 2 April to 8 April 0h UT.
    low = date(year, 4, 2).toordinal() + _JD_OF_ORDINAL_ZERO
    high = date(year, 4, 8).toordinal() + _JD_OF_ORDINAL_ZERO
    if not (
        _degrees_past(_sun_apparent_longitude(low), _QINGMING_LONGITUDE)
        < 0
        < _degrees_past(_sun_apparent_longitude(high), _QINGMING_LONGITUDE)
    ):
        raise RuntimeError(f"清明 {year} is not bracketed by 2-8 April")
    # The longitude increases monotonically here (~1 degree/day); bisect to ~0.1 s.
    while high - low > 1e-6:
        middle = (low + high) / 2
        if _degrees_past(_sun_apparent_longitude(middle), _QINGMING_LONGITUDE) < 0:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def qingming(year: int) -> date:
    """Date (Beijing time, UTC+8) of the 清明 solar term, when the Sun's apparent longitude is 15 degrees.

    The instant is found by bisection on Meeus's low-precision solar longitude (see
    :func:`_sun_apparent_longitude`). That algorithm runs in Terrestrial Time, whereas civil time
    follows UT; the difference ΔT = TT - UT is about +69 s in the 2020s (within roughly -3 s to
    +2 min over 1901-2099), far below the algorithm's ~15 min uncertainty, so it is neglected.
    The date could only come out wrong if the true instant were within minutes of Beijing
    midnight.

    Raises ValueError outside 1901-2099.
    """
    _check_year(year)
    jd_beijing = _qingming_jd(year) + _BEIJING_OFFSET_DAYS
    # The local civil day with ordinal n runs from JD n + 1721424.5 to the next such midnight.
    return date.fromordinal(math.floor(jd_beijing - _JD_OF_ORDINAL_ZERO))


def _lunar(year: int, month: int, day: int) -> date:
    """Gregorian date of a day in a (non-leap) lunar month of lunar year ``year``."""
    solar: date = LunarDate(year, month, day, False).to_solar_date()
    return solar


def _chuxi(lunar_year: int) -> date:
    """除夕, the last day of lunar year ``lunar_year`` (last day of its 12th month, the 29th or 30th)."""
    # A leap 12th month would come after the ordinary one and hold the real last day of the year;
    # none occurs in lunardate's range (the only late one is the leap 11th month of 2033), but
    # handle it rather than assume it.
    leap = LunarDate.leap_month_for_year(lunar_year) == 12
    for last_day in (30, 29):
        try:
            solar: date = LunarDate(lunar_year, 12, last_day, leap).to_solar_date()
        except ValueError:  # lunardate: "day out of range" for the 30th of a 29-day month
            continue
        return solar
    raise RuntimeError(f"lunar year {lunar_year} has no 12th month of 29 or 30 days")


def statutory_holidays(year: int) -> list[Holiday]:
    """The 13 statutory holiday days of Gregorian ``year`` under the 2025 rules, sorted by day.

    Days are listed per festival; when 中秋 falls on 1-3 October it shares its date with a
    国庆节 day and both entries are returned (mid_autumn first). No 调休 or 补假 is applied.

    Raises ValueError with an explanatory message for years outside 1901-2099.
    """
    _check_year(year)
    # The Spring Festival of Gregorian year Y is 正月初一 of lunar year Y (always 21 Jan - 20 Feb),
    # and 端午/中秋 of lunar year Y also fall in Gregorian year Y.
    spring = _lunar(year, 1, 1)
    chuxi = _chuxi(year - 1)
    if chuxi != spring - timedelta(days=1):
        raise RuntimeError(f"除夕 {chuxi} is not the day before 正月初一 {spring}")

    days: list[Holiday] = [Holiday(date(year, 1, 1), "new_year")]
    days += [Holiday(chuxi + timedelta(days=i), "spring_festival") for i in range(4)]
    days.append(Holiday(qingming(year), "tomb_sweeping"))
    days += [Holiday(date(year, 5, d), "labour_day") for d in (1, 2)]
    days.append(Holiday(_lunar(year, 5, 5), "dragon_boat"))
    days.append(Holiday(_lunar(year, 8, 15), "mid_autumn"))
    days += [Holiday(date(year, 10, d), "national_day") for d in (1, 2, 3)]

    # Never silently return a day of another year (除夕 could in principle precede 1 January).
    stray = [h for h in days if h.day.year != year]
    if stray:
        raise RuntimeError(f"statutory holidays computed for {year} fall outside it: {stray}")
    order = {name: i for i, name in enumerate(HOLIDAY_NAMES)}
    days.sort(key=lambda h: (h.day, order[h.name]))
    return days
