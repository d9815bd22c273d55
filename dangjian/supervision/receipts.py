"""Receipts (查询码): 80 random bits shown once as four groups of four base32 letters; only a keyed hash is kept.

The hash is HMAC-SHA256 under a key derived from DANGJIAN_RECEIPT_KEY (or SECRET_KEY when that is not set), so
a copy of the database alone cannot test guesses. Rotating SECRET_KEY without setting DANGJIAN_RECEIPT_KEY to the
old value makes old receipts unusable: production should set DANGJIAN_RECEIPT_KEY once and keep it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

#: 10 bytes = 80 bits of entropy (the issue asks for at least 64).
RECEIPT_BYTES = 10
_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
# Characters people mistype for base32 letters.
_CONFUSABLE = str.maketrans({"0": "O", "1": "I", "8": "B"})


def new_receipt() -> str:
    raw = base64.b32encode(secrets.token_bytes(RECEIPT_BYTES)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(receipt: str) -> str | None:
    """The 16 base32 letters of a receipt as typed (any case, spaces or dashes), or None if it cannot be one."""
    cleaned = "".join(ch for ch in (receipt or "")[:64].upper() if ch.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != RECEIPT_BYTES * 8 // 5 or not set(cleaned) <= _ALPHABET:
        return None
    return cleaned


def _key() -> bytes:
    base = getattr(settings, "DANGJIAN_RECEIPT_KEY", "") or settings.SECRET_KEY
    return hashlib.blake2b(base.encode(), person=b"dj-receipt", digest_size=32).digest()


def receipt_hash(receipt: str) -> str | None:
    cleaned = normalise(receipt)
    if cleaned is None:
        return None
    return hmac.new(_key(), cleaned.encode(), hashlib.sha256).hexdigest()
