"""Identity numbers and phones: validation to the national standards, normalisation, and masking for display.

公民身份号码: GB 11643-1999. 18 characters: a 6-digit administrative region code (GB/T 2260), an 8-digit birth
date (YYYYMMDD), a 3-digit sequence (odd for men, even for women) and a check character computed with ISO 7064
MOD 11-2 (weights 2^(17-i) mod 11; check value (12 - sum mod 11) mod 11, 10 written X). 15-digit numbers
(GB 11643-1989) have a 2-digit year and no check character; they upgrade to 18 by inserting "19" and appending
the check character.
Mobile numbers: mainland numbers per the MIIT numbering plan, 11 digits starting 13–19; "+86"/"86" and spaces or
hyphens are accepted and removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK = "10X98765432"
#: GB/T 2260 province-level codes (71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence permits of Taiwan residents).
PROVINCES = frozenset(
    f"{n}"
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
        83,
    )
)
MOBILE = re.compile(r"1[3-9]\d{9}")


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "male" or "female", from the sequence's parity

    @property
    def region(self) -> str:
        return self.number[:6]


def parse_id_number(raw: str, *, today: date | None = None) -> IdNumber:
    """Normalise and check a 公民身份号码; raise ValidationError with the reason."""
    value = re.sub(r"\s", "", str(raw or "")).upper()
    if len(value) == 15:
        if not value.isdigit():
            raise ValidationError(_("A 15-digit ID number has digits only."), code="id_format")
        body = value[:6] + "19" + value[6:]
        value = body + check_char(body)
    if len(value) != 18:
        raise ValidationError(_("An ID number has 18 characters (or 15 for an old one)."), code="id_length")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise ValidationError(_("An ID number has 17 digits and a final digit or X."), code="id_format")
    if value[:2] not in PROVINCES or value[2:6] == "0000":
        raise ValidationError(
            _("The ID number's region code %(code)s is not valid.") % {"code": value[:6]}, code="id_region"
        )
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number's birth date is not a real date."), code="id_birth") from None
    if born.year < 1900 or born > (today or timezone.localdate()):
        raise ValidationError(_("The ID number's birth date is out of range."), code="id_birth")
    if check_char(value[:17]) != value[17]:
        raise ValidationError(_("The ID number's check character is wrong (GB 11643-1999)."), code="id_checksum")
    return IdNumber(value, born, "male" if int(value[16]) % 2 else "female")


def normalise_mobile(raw: str) -> str:
    value = re.sub(r"[\s\-()]", "", str(raw or ""))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not MOBILE.fullmatch(value):
        raise ValidationError(_("%(value)s is not a mainland mobile number.") % {"value": raw}, code="phone")
    return value


def mask_id(number: str) -> str:
    """`3621**********1234`: the province and prefecture, and the last four."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(number: str) -> str:
    """`138****5678`."""
    if not number:
        return ""
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
