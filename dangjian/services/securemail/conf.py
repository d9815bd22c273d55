"""Settings of the encrypted mail network, read from Django settings with environment defaults."""

from __future__ import annotations

import os

from django.conf import settings


def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, None) or os.environ.get(f"DANGJIAN_{name}", default))


def suite_name() -> str:
    return getattr(settings, "SECUREMAIL_SUITE", None) or os.environ.get("DANGJIAN_SECUREMAIL_SUITE", "nacl")


def argon2_limits() -> tuple[int, int]:
    """Argon2id cost: libsodium's "moderate" preset in production; its minimum under test so tests run fast."""
    import nacl.pwhash

    if getattr(settings, "ENV", "") == "test":
        return nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN
    return nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def pbkdf2_iterations() -> int:
    return 1000 if getattr(settings, "ENV", "") == "test" else _int("SECUREMAIL_PBKDF2_ITERATIONS", 600_000)


def max_recipients() -> int:
    return _int("SECUREMAIL_MAX_RECIPIENTS", 300)


def unlock_seconds() -> int:
    """How long an unlocked officer key stays usable in a browser session."""
    return _int("SECUREMAIL_UNLOCK_SECONDS", 15 * 60)


def max_attachment_bytes() -> int:
    return _int("SECUREMAIL_MAX_ATTACHMENT_BYTES", 2 * 1024**3)
