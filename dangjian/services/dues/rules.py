"""The party-dues rules: how much a member pays a month, a public contract other code and tests rely on.

Source: 中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》(组通字〔2008〕3号), 2008:
- 在职党员 (employed; base: the monthly regular after-tax wage): up to 3000 yuan (inclusive) 0.5%; over 3000 up to
  5000 (inclusive) 1%; over 5000 up to 10000 (inclusive) 1.5%; over 10000 2%. One rate applies to the whole base.
- 离退休党员 (retired; base: the monthly pension): up to 5000 yuan (inclusive) 0.5%; over 5000 1%.
- 农民党员 (farmers): 0.2 to 1 yuan a month, the amount set by the branch (0.2 by default).
- 学生党员, 下岗失业党员, 依靠最低生活保障金生活的党员 (students, unemployed, on relief): 0.2 yuan a month.
Amounts are rounded to 0.01 yuan, half up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
FLAT = Decimal("0.20")
FARMER_MIN, FARMER_MAX = Decimal("0.20"), Decimal("1.00")

#: (upper bound inclusive, rate); None is "no upper bound".
EMPLOYED_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("3000"), Decimal("0.005")),
    (Decimal("5000"), Decimal("0.01")),
    (Decimal("10000"), Decimal("0.015")),
    (None, Decimal("0.02")),
)
RETIRED_BANDS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("5000"), Decimal("0.005")),
    (None, Decimal("0.01")),
)


class Category(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    RETIRED = "retired", _("Retired")
    FARMER = "farmer", _("Farmer")
    STUDENT = "student", _("Student")
    UNEMPLOYED = "unemployed", _("Unemployed")
    RELIEF = "relief", _("On minimum living allowance")


#: The categories whose dues are a rate of a declared base.
BASED = frozenset({Category.EMPLOYED, Category.RETIRED})


class DuesError(ValueError):
    """Wrong input to the dues rules: unknown category, missing or negative base, farmer amount out of range."""


def _money(value) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise DuesError(gettext("The amount %(value)s is not a number.") % {"value": value}) from exc
    if not d.is_finite():
        raise DuesError(gettext("The amount %(value)s is not a number.") % {"value": value})
    return d


def rate_for(category: str, base: Decimal) -> Decimal:
    """The rate that applies to the whole base."""
    bands = EMPLOYED_BANDS if category == Category.EMPLOYED else RETIRED_BANDS
    for upper, rate in bands:
        if upper is None or base <= upper:
            return rate
    raise AssertionError("the last band has no upper bound")


def monthly_dues(category: str, base: Decimal | None = None) -> Decimal:
    """A member's monthly dues in yuan, rounded to 0.01 half up.

    For `employed` and `retired`, `base` is the monthly wage or pension and is required. For `farmer`, `base` is
    the amount the branch set (0.2 to 1 yuan; 0.2 when None). For `student`, `unemployed` and `relief` it is
    ignored: the dues are 0.2 yuan.
    """
    if category not in Category.values:
        raise DuesError(gettext("Unknown dues category: %(category)s.") % {"category": category})
    if category in BASED:
        if base is None:
            raise DuesError(
                gettext("The %(category)s category needs a monthly base.") % {"category": Category(category).label}
            )
        amount = _money(base)
        if amount < 0:
            raise DuesError(gettext("The monthly base cannot be negative."))
        return (amount * rate_for(category, amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    if category == Category.FARMER:
        if base is None:
            return FARMER_MIN
        amount = _money(base)
        if amount < 0:
            raise DuesError(gettext("The monthly base cannot be negative."))
        amount = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        if not FARMER_MIN <= amount <= FARMER_MAX:
            raise DuesError(gettext("A farmer member pays between 0.20 and 1.00 yuan a month."))
        return amount
    return FLAT
