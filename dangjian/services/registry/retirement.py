"""When a cadre reaches retirement age, and how far ahead the registry warns: the thresholds of the cadre alerts.

The ages are the statutory ones as a county's organisation department applies them:

- men 60, women 55 (国发〔1978〕104号);
- women cadres of county or division rank (县处级女干部) 60 (中组发〔2015〕14号), not delayed further;
- from 1 January 2025 the gradual delay of 《全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定》
  (2024): for men born from January 1965 and for women of the 55 group born from January 1970, one month more for
  every four months of birth, up to 63 and 58 (born January 1965 → 60 years 1 month, retiring February 2025).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dangjian.services.registry.choices import Gender, Rank

#: Ranks at which a woman cadre retires at 60 (县处级).
SENIOR_FEMALE_RANKS = (Rank.DEPUTY_DIVISION, Rank.DIVISION)
#: Cadres are listed this many months before they reach retirement age (and after, while still in post).
RETIREMENT_WARNING_MONTHS = 24
#: Terms of office are listed this many days before they end (and after, while the post is still held).
TERM_WARNING_DAYS = 180


@dataclass(frozen=True)
class Schedule:
    """A group's retirement age before the reform, and the reform's delay for it."""

    base_years: int
    delay_from: date | None = None  # first birth month that is delayed
    max_delay_months: int = 0
    months_per_step: int = 4


MEN = Schedule(60, date(1965, 1, 1), 36)
WOMEN = Schedule(55, date(1970, 1, 1), 36)
SENIOR_WOMEN = Schedule(60)


def schedule_for(gender: str, *, senior: bool = False) -> Schedule:
    if gender == Gender.MALE:
        return MEN
    return SENIOR_WOMEN if senior else WOMEN


def add_months(d: date, months: int) -> date:
    """The same day `months` later; a day the month lacks falls back to its last day."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def retirement_age_months(birth_date: date, schedule: Schedule) -> int:
    """The retirement age of someone born on `birth_date`, in months."""
    months = schedule.base_years * 12
    if schedule.delay_from is None or birth_date < schedule.delay_from:
        return months
    born_after = (birth_date.year - schedule.delay_from.year) * 12 + birth_date.month - schedule.delay_from.month
    return months + min(schedule.max_delay_months, born_after // schedule.months_per_step + 1)


def retirement_date(birth_date: date, gender: str, *, senior: bool = False) -> date:
    return add_months(birth_date, retirement_age_months(birth_date, schedule_for(gender, senior=senior)))
