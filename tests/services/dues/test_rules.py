"""The dues rules of the 2008 regulation: every band boundary, rounding, the flat categories and wrong input."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.services.dues.rules import Category, DuesError, monthly_dues

D = Decimal


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("0", "0.00"),
        ("1000", "5.00"),
        ("3000", "15.00"),  # 3000 inclusive is still 0.5%
        ("3000.01", "30.00"),  # over 3000: 1% of the whole base (30.0001)
        ("4000", "40.00"),
        ("5000", "50.00"),  # 5000 inclusive is still 1%
        ("5000.01", "75.00"),  # 1.5% of 5000.01 = 75.00015
        ("10000", "150.00"),  # 10000 inclusive is still 1.5%
        ("10000.01", "200.00"),  # 2% of 10000.01 = 200.0002
        ("20000", "400.00"),
    ],
)
def test_employed_members_pay_one_rate_on_the_whole_base(base, expected):
    assert monthly_dues("employed", D(base)) == D(expected)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("2000", "10.00"),
        ("5000", "25.00"),  # 5000 inclusive is 0.5%
        ("5000.01", "50.00"),  # over 5000: 1% (50.0001)
        ("8000", "80.00"),
    ],
)
def test_retired_members_pay_on_their_pension(base, expected):
    assert monthly_dues("retired", D(base)) == D(expected)


@pytest.mark.parametrize(
    ("category", "base", "expected"),
    [
        ("employed", "2345.67", "11.73"),  # 11.72835 → 11.73
        ("employed", "2001", "10.01"),  # 10.005 → 10.01: half up, not half even
        ("employed", "2003", "10.02"),  # 10.015 → 10.02
        ("employed", "2000.99", "10.00"),  # 10.00495 → 10.00
        ("retired", "4321", "21.61"),  # 21.605 → 21.61
        ("employed", "3100.50", "31.01"),  # 31.005 → 31.01
    ],
)
def test_amounts_are_rounded_to_the_cent_half_up(category, base, expected):
    assert monthly_dues(category, D(base)) == D(expected)


def test_farmers_pay_twenty_fen_unless_the_branch_sets_more():
    assert monthly_dues("farmer") == D("0.20")
    assert monthly_dues("farmer", D("0.5")) == D("0.50")
    assert monthly_dues("farmer", D("1")) == D("1.00")
    assert monthly_dues("farmer", D("0.2")) == D("0.20")


@pytest.mark.parametrize("amount", ["0.19", "1.01", "5", "0"])
def test_a_farmer_amount_outside_twenty_fen_to_one_yuan_is_refused(amount):
    with pytest.raises(DuesError):
        monthly_dues("farmer", D(amount))


@pytest.mark.parametrize("category", ["student", "unemployed", "relief"])
def test_students_unemployed_and_members_on_relief_pay_twenty_fen(category):
    assert monthly_dues(category) == D("0.20")
    assert monthly_dues(category, D("9999")) == D("0.20")


@pytest.mark.parametrize(
    ("category", "base"),
    [
        ("employed", None),
        ("retired", None),
        ("employed", D("-0.01")),
        ("retired", D("-1")),
        ("farmer", D("-0.2")),
        ("soldier", D("100")),
        ("", None),
        ("employed", "abc"),
        ("employed", D("NaN")),
        ("employed", D("Infinity")),
    ],
)
def test_wrong_input_raises_a_clear_error(category, base):
    with pytest.raises(DuesError) as err:
        monthly_dues(category, base)
    assert str(err.value)


def test_the_error_is_a_value_error_so_callers_can_catch_either():
    with pytest.raises(ValueError, match=r"Unknown|未知"):
        monthly_dues("soldier")


def test_the_result_is_always_a_decimal_with_two_places():
    for category in Category.values:
        result = monthly_dues(category, D("4567.891") if category in {"employed", "retired"} else None)
        assert isinstance(result, Decimal)
        assert result.as_tuple().exponent == -2


money = st.decimals(min_value=0, max_value=D("1000000"), places=2, allow_nan=False, allow_infinity=False)


@given(money, money)
def test_employed_dues_never_fall_as_the_wage_rises_across_a_band(a, b):
    low, high = sorted((a, b))
    assert monthly_dues("employed", low) <= monthly_dues("employed", high)


@given(money)
def test_employed_dues_lie_between_half_and_two_percent(base):
    dues = monthly_dues("employed", base)
    assert (base * D("0.005")).quantize(D("0.01")) - D("0.01") <= dues
    assert dues <= (base * D("0.02")).quantize(D("0.01")) + D("0.01")


@given(money)
def test_retired_dues_never_exceed_employed_dues_on_the_same_base(base):
    assert monthly_dues("retired", base) <= monthly_dues("employed", base)


@given(money)
def test_dues_are_the_rounded_rate_times_base(base):
    rate = D("0.005") if base <= 3000 else D("0.01") if base <= 5000 else D("0.015") if base <= 10000 else D("0.02")
    assert monthly_dues("employed", base) == (base * rate).quantize(D("0.01"), rounding="ROUND_HALF_UP")


@given(st.decimals(min_value=D("0.20"), max_value=D("1.00"), places=2))
def test_any_farmer_amount_the_branch_sets_is_kept(amount):
    assert monthly_dues("farmer", amount) == amount
