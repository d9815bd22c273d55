"""The crypto layer: the same guarantees from the libsodium suite and the 国密 suite."""

from __future__ import annotations

import io

import pytest

from dangjian.core import crypto
from dangjian.core.crypto import CHUNK, CryptoError


@pytest.fixture
def s(suite_name):
    return crypto.suite(suite_name)


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_stream_round_trips_at_chunk_boundaries(s, size):
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    key = s.new_content_key()
    out = io.BytesIO()
    written, digest = crypto.encrypt_stream(s, key, io.BytesIO(data), out)
    assert written == size
    assert digest == crypto.stream_digest(s, io.BytesIO(out.getvalue()))
    assert b"".join(crypto.decrypt_stream(key, io.BytesIO(out.getvalue()))) == data


def test_stream_detects_alteration_truncation_and_wrong_key(s):
    key = s.new_content_key()
    blob = crypto.encrypt_bytes(s, key, b"A" * (2 * CHUNK + 5))
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 1
    cut = blob[: len(crypto.MAGIC) + 1 + s.header_bytes + CHUNK + s.tag_bytes]
    for bad in (bytes(flipped), cut):
        with pytest.raises(CryptoError):
            crypto.decrypt_bytes(key, bad)
    with pytest.raises(CryptoError):
        crypto.decrypt_bytes(s.new_content_key(), blob)


def test_wrapped_key_opens_only_with_the_recipients_private_key(s):
    alice, bob = s.wrap_keypair(), s.wrap_keypair()
    key = s.new_content_key()
    wrapped = s.wrap(alice.public, key)
    assert key not in wrapped
    assert s.unwrap(alice, wrapped) == key
    with pytest.raises(CryptoError):
        s.unwrap(bob, wrapped)


def test_signature_verifies_only_the_signed_data_and_key(s):
    signer, other = s.sign_keypair(), s.sign_keypair()
    sig = s.sign(signer.private, signer.public, b"manifest")
    s.verify(signer.public, b"manifest", sig)
    with pytest.raises(CryptoError):
        s.verify(signer.public, b"manifest!", sig)
    with pytest.raises(CryptoError):
        s.verify(other.public, b"manifest", sig)


def test_passphrase_key_seals_and_a_wrong_passphrase_fails(s):
    salt = crypto.random_salt()
    key = s.passphrase_key("长城永固 2026", salt)
    assert key == s.passphrase_key("长城永固 2026", salt)
    sealed = s.seal(key, b"private key", b"aad")
    assert s.open(key, sealed, b"aad") == b"private key"
    with pytest.raises(CryptoError):
        s.open(s.passphrase_key("wrong", salt), sealed, b"aad")
    with pytest.raises(CryptoError):
        s.open(key, sealed, b"other aad")


def test_sm2_unwrap_rejects_a_c1_off_the_curve():
    s = crypto.suite("sm")
    pair = s.wrap_keypair()
    wrapped = bytearray(s.wrap(pair.public, b"k" * 16))
    wrapped[0] ^= 1  # C1 no longer on the curve
    with pytest.raises(CryptoError):
        s.unwrap(pair, bytes(wrapped))


def test_sm2_signs_with_keys_whose_hex_starts_with_04():
    """gmssl strips a "04" prefix with lstrip, which would corrupt such keys; the suite must not be affected."""
    s = crypto.suite("sm")
    pair = next(p for p in iter(s.sign_keypair, None) if p.public.hex().startswith("04"))
    s.verify(pair.public, b"data", s.sign(pair.private, pair.public, b"data"))
