"""The crypto layer: the same guarantees from the libsodium suite and the 国密 suite."""

from __future__ import annotations

import io
import os

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


class _Trickle(io.RawIOBase):
    """A source that hands out at most 1,000 bytes per read, as a pipe or a socket may."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), 1000, len(self._data))
        buf[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


class _ReadOnly:
    """A source with read() and nothing else (no readinto)."""

    def __init__(self, data: bytes) -> None:
        self._src = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._src.read(min(n, 777))


@pytest.mark.parametrize("source", [_Trickle, _ReadOnly])
def test_stream_of_a_source_that_reads_short_has_whole_chunks(s, source):
    data = bytes(range(256)) * (3 * CHUNK // 256) + b"tail"
    key = s.new_content_key()
    out = io.BytesIO()
    assert crypto.encrypt_stream(s, key, source(data), out)[0] == len(data)
    blob = out.getvalue()
    # Every chunk but the last holds CHUNK bytes of plaintext: the file has the size of 4 chunks, no more.
    assert len(blob) == len(crypto.MAGIC) + 1 + s.header_bytes + len(data) + 4 * s.tag_bytes
    assert crypto.decrypt_bytes(key, blob) == data


def test_stream_reports_a_failed_write_and_stops(s):
    class Full(io.RawIOBase):
        writes = 0

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            Full.writes += 1
            if Full.writes > 3:
                raise OSError(28, "No space left on device")
            return len(b)

    with pytest.raises(OSError, match="No space"):
        crypto.encrypt_stream(s, s.new_content_key(), io.BytesIO(b"x" * (40 * CHUNK)), Full())
    assert Full.writes < 4 + crypto.STREAM_SLOTS + 2  # it stopped reading and encrypting soon after


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


def test_chunk_at_a_time_and_buffered_streams_are_the_same_stream(s):
    """`push_state` (one chunk in, its ciphertext out) and `push_into` (between buffers) make one format."""
    key = s.new_content_key()
    header, push = s.push_state(key)
    chunks = [b"a" * CHUNK, b"b" * 10]
    blob = crypto.MAGIC + bytes([s.code]) + header + push(chunks[0], False) + push(chunks[1], True)
    assert crypto.decrypt_bytes(key, blob) == b"".join(chunks)


@pytest.mark.parametrize("size", [crypto.STREAM_GROUP * CHUNK, 2 * crypto.STREAM_GROUP * CHUNK, 40 * CHUNK + 5])
def test_a_file_on_disk_is_encrypted_from_its_mapping_as_from_a_copy(s, tmp_path, size):
    """A regular file is read through a memory map (no copy): the same stream, from the file's position to its end,
    leaving the file positioned at its end."""
    data = os.urandom(size)
    path = tmp_path / "upload.bin"
    path.write_bytes(b"skip" + data)
    key = s.new_content_key()
    out = io.BytesIO()
    with open(path, "rb") as f:
        f.read(4)  # a file read in part: the stream starts where it stands
        written, digest = crypto.encrypt_stream(s, key, f, out)
        assert f.tell() == 4 + size
    blob = out.getvalue()
    assert written == size
    assert len(blob) == len(crypto.MAGIC) + 1 + s.header_bytes + size + -(-size // CHUNK) * s.tag_bytes
    assert digest == crypto.stream_digest(s, io.BytesIO(blob))
    assert crypto.decrypt_bytes(key, blob) == data
