"""Segment arithmetic of a short message: which alphabet it needs, how many parts it takes, and the parts.

3GPP TS 23.038 §6.2.1 (the GSM 7-bit default alphabet and its extension table) and TS 23.040 §9.2.3.24.1
(concatenation with a 6-octet user data header): a single message carries 140 octets, that is 160 GSM-7 septets or
70 UCS-2 characters; a concatenated part loses 6 octets to the header, leaving 153 septets or 67 UCS-2 characters.
Extension-table characters (€, [, ], {, }, …) take two septets (an escape and the character) and are never split
across parts; a character outside the Basic Multilingual Plane takes two UCS-2 units and is never split either.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E, "|": 0x40}
GSM_EXTENSION["€"] = 0x65
GSM_CODE = {ch: i for i, ch in enumerate(GSM_BASIC) if ch != "\x1b"}
ESCAPE = 0x1B

GSM7 = "gsm7"
UCS2 = "ucs2"
#: (single message, per part of a concatenated message), in septets (GSM-7) or UTF-16 code units (UCS-2).
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM_CODE or ch in GSM_EXTENSION for ch in text)


def _units(ch: str, alphabet: str) -> int:
    if alphabet == GSM7:
        return 2 if ch in GSM_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


@dataclass(frozen=True)
class Segments:
    alphabet: str  # GSM7 or UCS2
    length: int  # characters as the user counts them
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: list[str]

    @property
    def count(self) -> int:
        return len(self.parts)

    @property
    def per_part(self) -> int:
        single, multi = LIMITS[self.alphabet]
        return single if self.count <= 1 else multi

    @property
    def remaining(self) -> int:
        """Units left in the last part before another part is needed."""
        single, multi = LIMITS[self.alphabet]
        if self.units <= single:
            return single - self.units
        return multi * self.count - self.units


def count(text: str) -> int:
    """len(split(text).parts), without building the parts when the text is plain UCS-2 (the common Chinese case)."""
    if text and not is_gsm7(text[0]) and text.isprintable():
        units = len(text.encode("utf-16-le")) // 2
        if units == len(text):  # no surrogate pairs: every character is one unit, a part holds exactly 67
            single, multi = LIMITS[UCS2]
            return 1 if units <= single else -(-units // multi)
    return split(text).count


def split(text: str) -> Segments:
    """The alphabet and the parts of `text`; an empty text is one empty part."""
    alphabet = GSM7 if is_gsm7(text) else UCS2
    single, multi = LIMITS[alphabet]
    units = sum(_units(ch, alphabet) for ch in text)
    if units <= single:
        return Segments(alphabet, len(text), units, [text])
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = _units(ch, alphabet)
        if used + size > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    parts.append("".join(current))
    return Segments(alphabet, len(text), units, parts)


def encode(text: str, alphabet: str) -> bytes:
    """The octets of the short_message: unpacked GSM-7 (one septet per octet, SMPP 3.4 §5.2.19 data_coding 0) or
    UTF-16 big-endian (data_coding 8, UCS-2 with surrogate pairs kept whole)."""
    if alphabet == UCS2:
        return text.encode("utf-16-be")
    out = bytearray()
    for ch in text:
        if ch in GSM_EXTENSION:
            out += bytes((ESCAPE, GSM_EXTENSION[ch]))
        else:
            out.append(GSM_CODE[ch])
    return bytes(out)


def decode(data: bytes, data_coding: int) -> str:
    """The text of an inbound short_message (deliver_sm): UCS-2, unpacked GSM-7, or Latin-1 for anything else."""
    if data_coding == 8:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 0:
        reverse_ext = {v: k for k, v in GSM_EXTENSION.items()}
        out, escaped = [], False
        for b in data:
            if escaped:
                out.append(reverse_ext.get(b, " "))
                escaped = False
            elif b == ESCAPE:
                escaped = True
            elif b < len(GSM_BASIC):
                out.append(GSM_BASIC[b])
        return "".join(out)
    return data.decode("latin-1")
