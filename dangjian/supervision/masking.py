"""Masking of personal data in the public view of a letter: names, phone numbers, ID numbers, addresses, e-mails.

Staff always see the original; the public sees this. Patterns follow GB 11643-1999 (18-digit citizen ID, last
character a digit or X; the older 15-digit form), the mobile numbering plan (11 digits beginning 1[3-9]) and
fixed lines with an area code (0xx(x)-xxxxxxx(x)).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "＊＊＊"

_PATTERNS: list[re.Pattern[str]] = [
    re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    re.compile(
        r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
    ),
    re.compile(r"(?<!\d)\d{15}(?!\d)"),
    re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"),
    re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"),
    # Street addresses: "…路12号", "…街道3栋201室", "…村5组": the numbered part and the place word before it.
    re.compile(r"[\u4e00-\u9fa5]{1,8}(?:路|街|巷|弄|大道)\d+(?:号|弄)(?:\d+(?:栋|幢|楼|单元|室|号))*"),
    re.compile(r"\d+(?:栋|幢|号楼)\d*(?:单元)?\d*(?:室|号)?"),
    re.compile(r"[\u4e00-\u9fa5]{1,6}村\d+组"),
]
# "我叫张三" / "本人李四" / "姓名：王五": the name after such words.
_NAME_AFTER = re.compile(r"(我叫|我是|本人|姓名[:：]?|联系人[:：]?)\s*([\u4e00-\u9fa5]{2,3})(?=[，,。.；;、\s]|$)")


def mask(text: str, terms: Iterable[str] = ()) -> str:
    """The text with personal data replaced by a mask; `terms` (known names, manual redactions) are masked too."""
    if not text:
        return text
    for term in sorted({t for t in terms if t and len(t) >= 2}, key=len, reverse=True):
        text = text.replace(term, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return _NAME_AFTER.sub(lambda m: m.group(1) + MASK, text)
