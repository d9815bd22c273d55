"""Settings of the encrypted mail network, read from Django settings with environment defaults."""

from __future__ import annotations

import os

from django.conf import settings

from dangjian.core import crypto


def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, None) or os.environ.get(f"DANGJIAN_{name}") or default)


# The suite and its costs are the platform's (dangjian.core.crypto); named here too for the mail code.
suite_name = crypto.suite_name
argon2_limits = crypto.argon2_limits
pbkdf2_iterations = crypto.pbkdf2_iterations


def max_recipients() -> int:
    return _int("SECUREMAIL_MAX_RECIPIENTS", 300)


def unlock_seconds() -> int:
    """How long an unlocked officer key stays usable in a browser session."""
    return _int("SECUREMAIL_UNLOCK_SECONDS", 15 * 60)


def max_attachment_bytes() -> int:
    return _int("SECUREMAIL_MAX_ATTACHMENT_BYTES", 2 * 1024**3)
