"""The platform's crypto suites: key pairs, key wrapping, signatures and chunked streams.

Used by the encrypted mail network (`dangjian.services.securemail`) and by the supervision supermarket's
confidential letters (`dangjian.supervision.sealing`).

Two suites share one interface so every layer above (and every test) runs on either:

- ``nacl`` (default), libsodium through PyNaCl: X25519 sealed boxes (``crypto_box_seal``) wrap keys, Ed25519 signs,
  XChaCha20-Poly1305 ``secretstream`` encrypts content in chunks, Argon2id derives keys from passphrases,
  XChaCha20-Poly1305-IETF seals small secrets, BLAKE2b hashes (the ciphertext digests of a signed manifest are
  BLAKE3 since manifest version 3, `digest_hasher`).
- ``sm`` (商用密码 / 国密): SM2 public-key encryption (GM/T 0003.4-2012, ciphertext order C1‖C3‖C2) wraps keys, SM2
  with SM3 (GM/T 0003.2, Z_A with the default ID "1234567812345678" of GM/T 0009-2012) signs, SM4-GCM
  (GB/T 32907-2016 with the GCM mode of ISO/IEC 19772) encrypts content in chunks arranged as the STREAM
  construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
  Misuse-Resistance", CRYPTO 2015), PBKDF2-HMAC-SM3 derives keys from passphrases, SM3 hashes.
  SM4 and SM3 come from `cryptography` (OpenSSL). The SM2 curve arithmetic is gmssl's; the random scalars,
  the KDF, the C3 check and the range checks are done here because gmssl draws its nonces from `random`
  (not a CSPRNG), hashes the KDF input as hex text and never compares C3.

A stream on disk: MAGIC ‖ suite id (1 byte) ‖ stream header ‖ chunks. Every chunk but the last carries exactly
CHUNK plaintext bytes; the last is tagged final, so truncation, reordering and appending are all detected.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import mmap
import os
import queue
import secrets
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import blake3
import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.signing
from django.conf import settings
from nacl._sodium import ffi as _sodium_ffi  # PyNaCl's own cffi binding of libsodium (its bindings use it)
from nacl._sodium import lib as _sodium_lib

MAGIC = b"DJM1"
CHUNK = 64 * 1024
# The digests a signed manifest may record for a ciphertext: 1, the suite's hash (BLAKE2b-256 / SM3); 2, SHA-256 in
# the libsodium suite; 3, BLAKE3-256 in the libsodium suite. The 国密 suite uses SM3 in every version. New mail uses
# the latest; old mail keeps the one it was signed with.
DIGEST_VERSIONS = (1, 2, 3)
DIGEST_VERSION = DIGEST_VERSIONS[-1]


def suite_name() -> str:
    """The deployment's suite: `SECUREMAIL_SUITE` in the settings or `DANGJIAN_SECUREMAIL_SUITE`, default nacl."""
    return getattr(settings, "SECUREMAIL_SUITE", None) or os.environ.get("DANGJIAN_SECUREMAIL_SUITE", "nacl")


def argon2_limits() -> tuple[int, int]:
    """Argon2id cost: libsodium's "moderate" preset in production; its minimum under test so tests run fast."""
    if getattr(settings, "ENV", "") == "test":
        return nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN
    return nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def pbkdf2_iterations() -> int:
    if getattr(settings, "ENV", "") == "test":
        return 1000
    value = getattr(settings, "SECUREMAIL_PBKDF2_ITERATIONS", None) or os.environ.get(
        "DANGJIAN_SECUREMAIL_PBKDF2_ITERATIONS"
    )
    return int(value or 600_000)


class CryptoError(Exception):
    """A key, signature or ciphertext did not verify: wrong key, or the data was altered."""


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes


class Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> object: ...

    def digest(self) -> bytes: ...


class Suite:
    """What every suite provides. Keys are raw bytes; lengths differ per suite."""

    name: str
    code: int
    content_key_bytes: int
    header_bytes: int
    tag_bytes: int

    # --- keys
    def wrap_keypair(self) -> KeyPair:
        raise NotImplementedError

    def sign_keypair(self) -> KeyPair:
        raise NotImplementedError

    def wrap(self, public: bytes, secret: bytes) -> bytes:
        raise NotImplementedError

    def unwrap(self, keypair: KeyPair, wrapped: bytes) -> bytes:
        raise NotImplementedError

    def sign(self, private: bytes, public: bytes, data: bytes) -> bytes:
        raise NotImplementedError

    def verify(self, public: bytes, data: bytes, signature: bytes) -> None:
        raise NotImplementedError

    def passphrase_key(self, passphrase: str, salt: bytes) -> bytes:
        raise NotImplementedError

    def seal(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        raise NotImplementedError

    def open(self, key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
        raise NotImplementedError

    def hasher(self) -> Hasher:
        raise NotImplementedError

    def digest_hasher(self, version: int) -> Hasher:
        """The hash that a signed manifest of `version` records for each ciphertext (see DIGEST_VERSIONS)."""
        if version not in DIGEST_VERSIONS:
            raise CryptoError(f"unknown digest version {version!r}")
        return self.hasher()

    def new_content_key(self) -> bytes:
        return secrets.token_bytes(self.content_key_bytes)

    # --- streams
    def push_state(self, key: bytes) -> tuple[bytes, Callable[[bytes, bool], bytes]]:
        """A new stream: its header and a function (chunk, final) → ciphertext chunk."""
        raise NotImplementedError

    def pull_state(self, key: bytes, header: bytes) -> Callable[[bytes, bool], bytes]:
        """Open a stream: a function (ciphertext chunk, expect final) → plaintext; raises CryptoError."""
        raise NotImplementedError

    def push_into(self, key: bytes) -> tuple[bytes, Callable[[memoryview, int, memoryview, bool], int]]:
        """A new stream, encrypting between caller's buffers: its header and a function (plaintext buffer, its length,
        ciphertext buffer, final) → ciphertext length. The ciphertext buffer holds `tag_bytes` more than the chunk.
        The same stream as `push_state`; a suite overrides this when it can skip the copies."""
        header, push = self.push_state(key)

        def encrypt_into(plain: memoryview, n: int, out: memoryview, final: bool) -> int:
            sealed = push(bytes(plain[:n]), final)
            out[: len(sealed)] = sealed
            return len(sealed)

        return header, encrypt_into

    def fingerprint(self, public: bytes) -> str:
        h = self.hasher()
        h.update(public)
        digest = h.digest().hex()[:32]
        return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


# ----------------------------------------------------------------------------------------------------------- nacl
class NaclSuite(Suite):
    name = "nacl"
    code = 1
    content_key_bytes = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES
    header_bytes = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
    tag_bytes = sodium.crypto_secretstream_xchacha20poly1305_ABYTES

    def wrap_keypair(self) -> KeyPair:
        sk = nacl.public.PrivateKey.generate()
        return KeyPair(bytes(sk.public_key), bytes(sk))

    def sign_keypair(self) -> KeyPair:
        sk = nacl.signing.SigningKey.generate()
        return KeyPair(bytes(sk.verify_key), bytes(sk))

    def wrap(self, public: bytes, secret: bytes) -> bytes:
        return sodium.crypto_box_seal(secret, public)

    def unwrap(self, keypair: KeyPair, wrapped: bytes) -> bytes:
        try:
            return sodium.crypto_box_seal_open(wrapped, keypair.public, keypair.private)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise CryptoError("unwrap failed") from exc

    def sign(self, private: bytes, public: bytes, data: bytes) -> bytes:
        return nacl.signing.SigningKey(private).sign(data).signature

    def verify(self, public: bytes, data: bytes, signature: bytes) -> None:
        try:
            nacl.signing.VerifyKey(public).verify(data, signature)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as exc:
            raise CryptoError("bad signature") from exc

    def passphrase_key(self, passphrase: str, salt: bytes) -> bytes:
        ops, mem = argon2_limits()
        return nacl.pwhash.argon2id.kdf(32, passphrase.encode(), salt[:16], opslimit=ops, memlimit=mem)

    def seal(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = secrets.token_bytes(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        return nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)

    def open(self, key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
        n = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
        try:
            return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed[n:], aad, sealed[:n], key)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise CryptoError("open failed") from exc

    def hasher(self) -> Hasher:
        return hashlib.blake2b(digest_size=32)

    def digest_hasher(self, version: int) -> Hasher:
        hasher = super().digest_hasher(version)
        # The digest is a whole pass over every attachment's ciphertext on sending and on reading, so its speed is
        # the send's (docs/benchmarks.md). Version 2: SHA-256 through hashlib (OpenSSL, with the CPU's SHA
        # extensions), 1.5x hashlib's BLAKE2b. Version 3: BLAKE3 (the `blake3` package, the reference Rust
        # implementation with its SIMD code; it releases the GIL on long inputs): 3.3x SHA-256 here. BLAKE3 is a
        # collision-resistant hash of 128-bit security at 256 bits of output (O'Connor, Aumasson, Neves,
        # Wilcox-O'Hearn, "BLAKE3", 2020), which is what the signed manifest needs (docs/securemail.md).
        if version >= 3:
            return blake3.blake3()
        return hashlib.sha256() if version == 2 else hasher

    def push_state(self, key: bytes):
        header, encrypt_into = self.push_into(key)

        def encrypt(chunk: bytes, final: bool) -> bytes:
            out = bytearray(len(chunk) + self.tag_bytes)
            encrypt_into(memoryview(chunk), len(chunk), memoryview(out), final)
            return bytes(out)

        return header, encrypt

    def push_into(self, key: bytes):
        # libsodium's push called on the caller's buffers: PyNaCl's wrapper takes `bytes` and returns a fresh copy
        # of the ciphertext, two copies of every chunk. Same state, same function, so the same stream.
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        header = sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
        raw_state = state.statebuf
        push = _sodium_lib.crypto_secretstream_xchacha20poly1305_push
        message = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
        final_tag = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
        null, from_buffer, abytes = _sodium_ffi.NULL, _sodium_ffi.from_buffer, self.tag_bytes

        def encrypt_into(plain: memoryview, n: int, out: memoryview, final: bool) -> int:
            if len(out) < n + abytes:
                raise ValueError("ciphertext buffer too small")
            tag = final_tag if final else message
            if push(raw_state, from_buffer(out), null, from_buffer(plain), n, null, 0, tag) != 0:
                raise CryptoError("stream encryption failed")
            return n + abytes

        return header, encrypt_into

    def pull_state(self, key: bytes, header: bytes):
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise CryptoError("bad stream header") from exc
        pull = sodium.crypto_secretstream_xchacha20poly1305_pull
        final_tag = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL

        def decrypt(chunk: bytes, final: bool) -> bytes:
            try:
                plaintext, tag = pull(state, chunk)
            except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
                raise CryptoError("stream chunk altered") from exc
            if (tag == final_tag) != final:
                raise CryptoError("stream truncated or extended")
            return plaintext

        return decrypt


# ------------------------------------------------------------------------------------------------------------ 国密
class SmSuite(Suite):
    name = "sm"
    code = 2
    content_key_bytes = 16  # SM4 keys are 128 bits (GB/T 32907-2016)
    header_bytes = 7  # the STREAM nonce prefix; nonce = prefix(7) ‖ counter(4, big-endian) ‖ last flag(1)
    tag_bytes = 16

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from gmssl import sm2

        self._hashes, self._cipher, self._algorithms, self._modes = hashes, Cipher, algorithms, modes
        self._sm2 = sm2
        table = sm2.default_ecc_table
        self._n = int(table["n"], 16)
        self._p = int(table["p"], 16)
        self._a = int(table["a"], 16)
        self._b = int(table["b"], 16)
        self._g = table["g"]
        self._curve = sm2.CryptSM2(private_key="1", public_key=self._g)

    def _sm3(self, *parts: bytes) -> bytes:
        h = self._hashes.Hash(self._hashes.SM3())
        for p in parts:
            h.update(p)
        return h.finalize()

    def _scalar(self) -> int:
        return secrets.randbelow(self._n - 1) + 1

    def _mul(self, k: int, point: bytes) -> bytes:
        return bytes.fromhex(self._curve._kg(k, point.hex()))

    def _on_curve(self, point: bytes) -> bool:
        if len(point) != 64:
            return False
        x, y = int.from_bytes(point[:32]), int.from_bytes(point[32:])
        return x < self._p and y < self._p and (y * y - (x**3 + self._a * x + self._b)) % self._p == 0

    def _kdf(self, z: bytes, length: int) -> bytes:
        # GM/T 0003.4-2012 §5.4.3: Ha_i = SM3(Z ‖ ct), ct a 32-bit counter from 1.
        out = b"".join(self._sm3(z, i.to_bytes(4, "big")) for i in range(1, -(-length // 32) + 1))
        return out[:length]

    def _keypair(self) -> KeyPair:
        d = secrets.randbelow(self._n - 2) + 1  # GM/T 0003.1 §6.1: d ∈ [1, n-2]
        return KeyPair(self._mul(d, bytes.fromhex(self._g)), d.to_bytes(32, "big"))

    wrap_keypair = _keypair
    sign_keypair = _keypair

    def wrap(self, public: bytes, secret: bytes) -> bytes:
        # GM/T 0003.4-2012 §6.1, output C1 ‖ C3 ‖ C2 (C1 without the 04 prefix).
        while True:
            k = self._scalar()
            c1 = self._mul(k, bytes.fromhex(self._g))
            xy = self._mul(k, public)
            t = self._kdf(xy, len(secret))
            if any(t):
                break
        c2 = bytes(a ^ b for a, b in zip(secret, t, strict=True))
        c3 = self._sm3(xy[:32], secret, xy[32:])
        return c1 + c3 + c2

    def unwrap(self, keypair: KeyPair, wrapped: bytes) -> bytes:
        c1, c3, c2 = wrapped[:64], wrapped[64:96], wrapped[96:]
        if not self._on_curve(c1) or not c2:
            raise CryptoError("unwrap failed")
        xy = self._mul(int.from_bytes(keypair.private), c1)
        t = self._kdf(xy, len(c2))
        secret = bytes(a ^ b for a, b in zip(c2, t, strict=True))
        if not hmac.compare_digest(self._sm3(xy[:32], secret, xy[32:]), c3):
            raise CryptoError("unwrap failed")
        return secret

    def _gmssl(self, private: bytes, public: bytes):
        # Set the public key after construction: gmssl's constructor strips a "04" prefix with str.lstrip("04"),
        # which also eats the leading 0s and 4s of an x coordinate that starts with them (1 key in 256).
        key = self._sm2.CryptSM2(private_key=private.hex() if private else "1", public_key="")
        key.public_key = public.hex()
        return key

    def sign(self, private: bytes, public: bytes, data: bytes) -> bytes:
        signer = self._gmssl(private, public)
        k = format(self._scalar(), "064x")
        return bytes.fromhex(signer.sign_with_sm3(data, k))

    def verify(self, public: bytes, data: bytes, signature: bytes) -> None:
        if len(signature) != 64 or not self._on_curve(public):
            raise CryptoError("bad signature")
        r, s = int.from_bytes(signature[:32]), int.from_bytes(signature[32:])
        if not (0 < r < self._n and 0 < s < self._n):  # GM/T 0003.2 §7.1 B1, B2
            raise CryptoError("bad signature")
        verifier = self._gmssl(b"", public)
        if not verifier.verify_with_sm3(signature.hex(), data):
            raise CryptoError("bad signature")

    def passphrase_key(self, passphrase: str, salt: bytes) -> bytes:
        from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

        return PBKDF2HMAC(self._hashes.SM3(), 16, salt, pbkdf2_iterations()).derive(passphrase.encode())

    def _gcm(self, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        enc = self._cipher(self._algorithms.SM4(key), self._modes.GCM(nonce)).encryptor()
        if aad:
            enc.authenticate_additional_data(aad)
        return enc.update(plaintext) + enc.finalize() + enc.tag

    def _gcm_open(self, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag

        if len(sealed) < 16:
            raise CryptoError("open failed")
        dec = self._cipher(self._algorithms.SM4(key), self._modes.GCM(nonce, sealed[-16:])).decryptor()
        if aad:
            dec.authenticate_additional_data(aad)
        try:
            return dec.update(sealed[:-16]) + dec.finalize()
        except InvalidTag as exc:
            raise CryptoError("open failed") from exc

    def seal(self, key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + self._gcm(key, nonce, plaintext, aad)

    def open(self, key: bytes, sealed: bytes, aad: bytes = b"") -> bytes:
        return self._gcm_open(key, sealed[:12], sealed[12:], aad)

    def hasher(self) -> Hasher:
        h = self._hashes.Hash(self._hashes.SM3())

        class _Sm3:
            def update(self, data: bytes | memoryview) -> None:
                h.update(data)

            def digest(self) -> bytes:
                return h.copy().finalize()

        return _Sm3()

    def _stream(self, key: bytes, prefix: bytes, seal: bool):
        counter = 0

        def step(chunk: bytes, final: bool) -> bytes:
            nonlocal counter
            nonce = prefix + counter.to_bytes(4, "big") + (b"\x01" if final else b"\x00")
            counter += 1
            if seal:
                return self._gcm(key, nonce, chunk, b"")
            try:
                return self._gcm_open(key, nonce, chunk, b"")
            except CryptoError as exc:
                raise CryptoError("stream chunk altered, truncated or extended") from exc

        return step

    def push_state(self, key: bytes):
        prefix = secrets.token_bytes(self.header_bytes)
        return prefix, self._stream(key, prefix, seal=True)

    def pull_state(self, key: bytes, header: bytes):
        if len(header) != self.header_bytes:
            raise CryptoError("bad stream header")
        return self._stream(key, header, seal=False)


SUITES: dict[str, Suite] = {}


def suite(name: str | None = None) -> Suite:
    """The suite by name (the deployment's, `DANGJIAN_SECUREMAIL_SUITE`, when none is given)."""
    name = name or suite_name()
    if name not in SUITES:
        if name == "nacl":
            SUITES[name] = NaclSuite()
        elif name == "sm":
            SUITES[name] = SmSuite()
        else:
            raise ValueError(f"unknown securemail suite {name!r}")
    return SUITES[name]


def suite_by_code(code: int) -> Suite:
    return suite({1: "nacl", 2: "sm"}.get(code, "?"))


# -------------------------------------------------------------------------------------------------------- streams
# The cipher hands the threads behind it (digest, write) a slot of STREAM_GROUP chunks at a time, at most
# STREAM_SLOTS of them in flight: one hand-over (a thread woken) per MiB, not per chunk, and 4 × 2 MiB of buffers.
STREAM_GROUP = 16
STREAM_SLOTS = 4


def _fill(src: BinaryIO, buf: bytearray) -> int:
    """Read into buf until it is full or src ends (a raw file or a pipe may return less than asked)."""
    view = memoryview(buf)
    readinto = getattr(src, "readinto", None)
    got = 0
    while got < len(buf):
        if readinto is not None:
            n = readinto(view[got:]) or 0
        else:
            data = src.read(len(buf) - got)
            n = len(data)
            view[got : got + n] = data
        if not n:
            break
        got += n
    return got


class _Mapped:
    """The rest of a regular file as read-only memory (mmap): the cipher reads the page cache itself instead of a
    copy of it (`readinto` cost 17 ms of CPU per 100 MB here, the mapping 4 ms). What the cipher has passed is
    unmapped as it goes (MADV_DONTNEED: the file's pages stay in the page cache, they only leave this process),
    so the resident memory of a send does not grow with the file. The length is the file's when the stream
    starts; the file is the caller's upload, which nothing else writes."""

    def __init__(self, src: BinaryIO, start: int, size: int) -> None:
        self._map = mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ)
        self._view = memoryview(self._map)
        self.position, self.end = start, size
        self._released = start - start % mmap.PAGESIZE

    @classmethod
    def of(cls, src: BinaryIO, least: int) -> _Mapped | None:
        """A mapping of src from its position, when src is a regular file with at least `least` bytes left."""
        try:
            fd, start = src.fileno(), src.tell()
        except (AttributeError, OSError, io.UnsupportedOperation):
            return None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size - start < least:
            return None
        return cls(src, start, info.st_size)

    def take(self, n: int) -> memoryview:
        block = self._view[self.position : min(self.position + n, self.end)]
        self.position += len(block)
        return block

    def release_to(self, position: int) -> None:
        upto = position - position % mmap.PAGESIZE
        if upto > self._released:
            self._map.madvise(mmap.MADV_DONTNEED, self._released, upto - self._released)
            self._released = upto

    def close(self) -> None:
        self._view.release()
        self._map.close()


def _write_all(dst: BinaryIO, block: memoryview | bytes) -> None:
    view = memoryview(block)
    while view:
        n = dst.write(view)
        if n is None or n >= len(view):  # buffered files write everything (and some return None)
            return
        view = view[n:]


def encrypt_stream(
    s: Suite, key: bytes, src: BinaryIO, dst: BinaryIO, chunk: int = CHUNK, *, threaded: bool = True,
    digest_version: int = DIGEST_VERSION,
) -> tuple[int, bytes]:  # fmt: skip
    """Encrypt src into dst in constant memory. Returns (plaintext size, digest of everything written to dst, by
    `Suite.digest_hasher(digest_version)`).

    A ring of STREAM_SLOTS buffer pairs serves the whole stream: src is read into a plaintext buffer (`readinto`,
    STREAM_GROUP chunks at a time), encrypted chunk by chunk into its ciphertext buffer (`Suite.push_into`: no
    copy in the libsodium suite), then the ciphertext buffer is digested and written, nothing copied in Python.
    With `threaded` (files) the digest and the write each run on a thread of their own, a slot or two behind the
    cipher: libsodium (cffi), hashlib (for buffers over 2 KiB) and file writes all release the GIL, so the three
    overlap (per byte, SHA-256 costs about 0.7 of the cipher, BLAKE2b as much, the write a quarter to a third).
    Small data (`encrypt_bytes`) stays on the caller's thread: starting threads would cost more than they save.
    """
    header, push = s.push_into(key)
    digest = s.digest_hasher(digest_version)
    lead = MAGIC + bytes([s.code]) + header
    digest.update(lead)
    _write_all(dst, lead)
    group = STREAM_GROUP if threaded else 1
    sealed = chunk + s.tag_bytes
    slots = [(bytearray(group * chunk), bytearray(group * sealed)) for _ in range(STREAM_SLOTS if threaded else 2)]
    free: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(slots)):
        free.put(i)
    stages: list[Callable[[memoryview], object]] = [digest.update, lambda block: _write_all(dst, block)]
    inboxes: list[queue.SimpleQueue[tuple[int, int] | None]] = [queue.SimpleQueue() for _ in stages]
    failure: list[BaseException] = []

    def step(k: int, item: tuple[int, int]) -> None:
        """Stage k on one chunk, then hand the chunk on (the last stage frees its slot, also after a failure)."""
        i, n = item
        if not failure:
            try:
                stages[k](memoryview(slots[i][1])[:n])
            except BaseException as exc:  # reported to the caller below
                failure.append(exc)
        if k + 1 < len(stages):
            if threaded:
                inboxes[k + 1].put(item)
            else:
                step(k + 1, item)
        else:
            free.put(i)

    def stage(k: int) -> None:
        while (item := inboxes[k].get()) is not None:
            step(k, item)
        if k + 1 < len(stages):
            inboxes[k + 1].put(None)

    workers = [threading.Thread(target=stage, args=(k,), name=f"stream-stage-{k}", daemon=True) for k in
               range(len(stages))] if threaded else []  # fmt: skip
    for w in workers:
        w.start()

    span = group * chunk
    mapped = _Mapped.of(src, span) if threaded else None

    def take(slot: int) -> memoryview:
        """The next `span` bytes of plaintext or fewer at the end: mapped, or read into the slot's buffer."""
        if mapped is not None:
            return mapped.take(span)
        return memoryview(slots[slot][0])[: _fill(src, slots[slot][0])]

    def seal(slot: int, plain: memoryview, last: bool) -> int:
        """Encrypt a slot's plaintext chunk by chunk (the last chunk of the stream tagged final)."""
        out, n = memoryview(slots[slot][1]), len(plain)
        count = max(1, -(-n // chunk))
        written = 0
        for k in range(count):
            piece = min(chunk, n - k * chunk)
            at = k * chunk
            written += push(plain[at : at + piece], piece, out[k * sealed :], last and k == count - 1)
        return written

    size = 0
    plain = after = memoryview(b"")
    try:
        current = free.get()
        plain = take(current)
        while True:
            following = free.get()
            after = take(following) if len(plain) == span else memoryview(b"")
            final = not after
            item = (current, seal(current, plain, final))
            size += len(plain)
            plain.release()
            if mapped is not None:
                mapped.release_to(mapped.position - len(after))
            if threaded:
                inboxes[0].put(item)
            else:
                step(0, item)
            if final or failure:
                break
            current, plain = following, after
    finally:
        if workers:
            inboxes[0].put(None)
            for w in workers:
                w.join()
        if mapped is not None:
            plain.release()
            after.release()
            src.seek(mapped.position)
            mapped.close()
    if failure:
        raise failure[0]
    return size, digest.digest()


def stream_digest(s: Suite, src: BinaryIO, chunk: int = 1024 * 1024, *, digest_version: int = DIGEST_VERSION) -> bytes:
    digest = s.digest_hasher(digest_version)
    while block := src.read(chunk):
        digest.update(block)
    return digest.digest()


def decrypt_stream(key: bytes, src: BinaryIO, chunk: int = CHUNK) -> Iterator[bytes]:
    """Yield the plaintext of an encrypted stream chunk by chunk; raises CryptoError on any alteration."""
    lead = src.read(len(MAGIC) + 1)
    if len(lead) != len(MAGIC) + 1 or lead[:4] != MAGIC:
        raise CryptoError("not an encrypted stream")
    try:
        s = suite_by_code(lead[4])
    except ValueError as exc:
        raise CryptoError("unknown suite") from exc
    pull = s.pull_state(key, src.read(s.header_bytes))
    size = chunk + s.tag_bytes
    current = src.read(size)
    while True:
        following = src.read(size) if len(current) == size else b""
        final = not following
        yield pull(current, final)
        if final:
            return
        current = following


def encrypt_bytes(s: Suite, key: bytes, data: bytes) -> bytes:
    import io

    out = io.BytesIO()
    encrypt_stream(s, key, io.BytesIO(data), out, threaded=False)
    return out.getvalue()


def decrypt_bytes(key: bytes, data: bytes) -> bytes:
    import io

    return b"".join(decrypt_stream(key, io.BytesIO(data)))


def random_salt() -> bytes:
    return os.urandom(16)
