"""Segment arithmetic (3GPP TS 23.038 / 23.040): GSM-7 160 single / 153 per part, UCS-2 70 single / 67 per part."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.services.sms.segments import GSM7, UCS2, count, decode, encode, split


@pytest.mark.parametrize(
    ("text", "alphabet", "count"),
    [
        ("a" * 160, GSM7, 1),
        ("a" * 161, GSM7, 2),
        ("a" * 306, GSM7, 2),
        ("a" * 307, GSM7, 3),
        ("中" * 70, UCS2, 1),
        ("中" * 71, UCS2, 2),
        ("中" * 134, UCS2, 2),
        ("中" * 135, UCS2, 3),
        ("€" * 80, GSM7, 1),
        ("€" * 81, GSM7, 2),
        ("", GSM7, 1),
    ],
)
def test_segment_count_follows_the_single_and_concatenated_limits(text, alphabet, count):
    s = split(text)
    assert (s.alphabet, s.count) == (alphabet, count)


def test_one_chinese_character_makes_the_whole_message_ucs2():
    assert split("Meeting at 9" + "开").alphabet == UCS2
    assert split("Meeting at 9").alphabet == GSM7


def test_parts_of_a_long_chinese_message_hold_67_characters():
    s = split("党" * 150)
    assert [len(p) for p in s.parts] == [67, 67, 16]
    assert s.remaining == 67 * 3 - 150


def test_an_extension_character_is_never_split_across_parts():
    s = split("a" * 152 + "€" + "b" * 10)
    assert s.parts[0] == "a" * 152
    assert s.parts[1].startswith("€")


def test_a_character_outside_the_bmp_takes_two_units_and_stays_whole():
    s = split("😀" * 36)
    assert s.units == 72 and s.count == 2
    assert all(len(p.encode("utf-16-be")) <= 134 for p in s.parts)


@given(st.text(max_size=400))
def test_parts_join_back_to_the_text_and_fit_in_140_octets(text):
    s = split(text)
    assert "".join(s.parts) == text
    for part in s.parts:
        data = encode(part, s.alphabet)
        limit = 140 if s.count == 1 else 134
        if s.alphabet == GSM7:
            assert len(data) * 7 <= limit * 8
        else:
            assert len(data) <= limit
        assert decode(data, 0 if s.alphabet == GSM7 else 8) == part


@given(st.text(max_size=400))
def test_the_fast_count_agrees_with_the_split(text):
    assert count(text) == split(text).count
