"""The SMS platform's settings: a Django setting if the deployment sets one, else the environment variable of the
same name, else the default."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def number(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is not None:
        return float(value)
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def text(name: str, default: str) -> str:
    value = getattr(settings, name, None)
    return str(value) if value is not None else os.environ.get(name, default)


def quiet_hours() -> tuple[int, int]:
    """DANGJIAN_SMS_QUIET_HOURS, "22-8" by default: no campaign is sent from 22:00 to 08:00 unless urgent."""
    raw = text("DANGJIAN_SMS_QUIET_HOURS", "22-8")
    try:
        start, end = (int(x) for x in raw.split("-"))
    except ValueError:
        raise ImproperlyConfigured(f"DANGJIAN_SMS_QUIET_HOURS must look like 22-8, not {raw!r}") from None
    return start, end
