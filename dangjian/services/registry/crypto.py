"""Personal data at rest: ID numbers and phones encrypted with a secret key, found again through a blind index.

Keys. `DANGJIAN_FIELD_KEY` (or `DANGJIAN_FIELD_KEY_FILE`, a file holding it): 32 bytes as 64 hex characters or
urlsafe base64. Without it the key is derived from SECRET_KEY with BLAKE2b keyed hashing (libsodium's
`crypto_generichash`, used as a KDF with a per-purpose personalisation string), so a development machine works
without set-up; production should set DANGJIAN_FIELD_KEY so rotating SECRET_KEY (sessions) never touches the records.
Two sub-keys are derived from the master key: one for XSalsa20-Poly1305 (PyNaCl SecretBox, random 24-byte nonce
per value) and one for the blind index (HMAC-SHA256 of the normalised value), so the index reveals nothing
about the ciphertext key.

Stored form: "v1:" + urlsafe base64 of nonce‖ciphertext. The "v1" names the scheme so a later key can be rolled in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import cache
from pathlib import Path

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "v1:"


def _master_key() -> bytes:
    raw = os.environ.get("DANGJIAN_FIELD_KEY", "")
    if not raw and (path := os.environ.get("DANGJIAN_FIELD_KEY_FILE")):
        raw = Path(path).read_text().strip()
    if raw:
        try:
            key = bytes.fromhex(raw) if len(raw) == 64 else base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        except (ValueError, binascii.Error) as exc:
            raise ImproperlyConfigured("DANGJIAN_FIELD_KEY must be 32 bytes in hex or base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured("DANGJIAN_FIELD_KEY must be 32 bytes in hex or base64")
        return key
    return nacl.hash.blake2b(
        settings.SECRET_KEY.encode(), digest_size=32, person=b"dangjian-field", encoder=nacl.encoding.RawEncoder
    )


@cache
def _keys() -> tuple[nacl.secret.SecretBox, bytes]:
    master = _master_key()

    def derive(purpose: bytes) -> bytes:
        return nacl.hash.blake2b(b"", key=master, digest_size=32, person=purpose, encoder=nacl.encoding.RawEncoder)

    return nacl.secret.SecretBox(derive(b"dangjian-box")), derive(b"dangjian-index")


def reset_keys() -> None:
    """Forget the cached keys (tests that change the environment)."""
    _keys.cache_clear()


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    box, _ = _keys()
    return PREFIX + base64.urlsafe_b64encode(bytes(box.encrypt(plain.encode()))).decode()


class DecryptionError(ValueError):
    pass


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise DecryptionError("unknown encryption scheme")
    box, _ = _keys()
    try:
        return box.decrypt(base64.urlsafe_b64decode(stored[len(PREFIX) :])).decode()
    except (nacl.exceptions.CryptoError, binascii.Error, ValueError) as exc:
        raise DecryptionError("cannot decrypt: wrong key or damaged value") from exc


def blind_index(kind: str, normalised: str) -> str:
    """A keyed hash for exact search; `kind` separates ID numbers from phones. Empty for an empty value."""
    if not normalised:
        return ""
    _, key = _keys()
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """Text stored encrypted; Python code sees the plain value. Never filter on it: use its blind index."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
