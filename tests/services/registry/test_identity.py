"""公民身份号码 (GB 11643-1999) and mobile numbers: what is accepted, what is refused and why, how they are masked."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from dangjian.services.registry.identity import (
    check_char,
    mask_id,
    mask_phone,
    normalise_mobile,
    parse_id_number,
)
from tests.services.conftest import valid_id


def test_a_valid_number_gives_its_birth_date_and_gender():
    parsed = parse_id_number("360733199001011237")
    assert parsed.birth_date == date(1990, 1, 1)
    assert parsed.gender == "male"  # 3 is odd
    assert parsed.region == "360733"
    assert parse_id_number("360733198512310023").gender == "female"


def test_the_check_character_x_is_accepted_in_either_case():
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


def test_a_wrong_check_character_is_refused_as_a_checksum_error():
    with pytest.raises(ValidationError) as err:
        parse_id_number("360733199001011238")
    assert err.value.code == "id_checksum"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("36073319900101123", "id_length"),
        ("3607331990010112377", "id_length"),
        ("36073319900101123A", "id_format"),
        ("00073319900101123" + "0", "id_region"),
        ("360000199001011234", "id_region"),
        ("360733199002301234", "id_birth"),
        ("360733180001011234", "id_birth"),
        ("36073319900101A", "id_format"),
    ],
)
def test_malformed_numbers_are_refused_with_the_reason(number, code):
    with pytest.raises(ValidationError) as err:
        parse_id_number(number)
    assert err.value.code == code


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError) as err:
        parse_id_number(valid_id("36073320300101123"), today=date(2026, 1, 1))
    assert err.value.code == "id_birth"


def test_a_fifteen_digit_number_is_upgraded_to_eighteen():
    parsed = parse_id_number("360733900101123")
    assert parsed.number == "360733199001011237"
    assert parsed.birth_date == date(1990, 1, 1)


def test_the_check_character_follows_iso_7064_mod_11_2():
    # The worked example of GB 11643-1999 appendix: 11010519491231002X.
    assert check_char("11010519491231002") == "X"


@given(
    st.dates(min_value=date(1920, 1, 1), max_value=date(2010, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_every_number_with_a_correct_check_character_parses_and_one_changed_digit_does_not(born, seq):
    body = f"360733{born:%Y%m%d}{seq:03d}"
    number = valid_id(body)
    assert parse_id_number(number).birth_date == born
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError):
        parse_id_number(wrong)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("19912345678", "19912345678"),
    ],
)
def test_mainland_mobile_numbers_are_normalised(raw, expected):
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "0797-5622222", "abc", ""])
def test_other_numbers_are_not_mobile_numbers(raw):
    with pytest.raises(ValidationError):
        normalise_mobile(raw)


def test_masks_show_only_the_region_and_last_digits():
    assert mask_id("362101199001011234") == "3621**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_id("") == "" and mask_phone("") == ""
