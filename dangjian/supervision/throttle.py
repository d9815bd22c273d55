"""Rate limits on the public forms, counted in the cache under a keyed hash of the address (never the address).

The key is HMAC-SHA256 of the client address under a key derived from SECRET_KEY: the cache holds no address,
so even an anonymous writer's address is never stored, and the counter expires with its window.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from dangjian.core.http import client_address

#: The defaults: (requests, seconds) per action and address. `DANGJIAN_SUPERVISION_LIMITS` overrides any of them,
#: e.g. {"write": (100_000, 3600)} for a benchmark whose clients all come from 127.0.0.1.
LIMITS = {"write": (10, 3600), "lookup": (30, 600)}


def limit(action: str) -> tuple[int, int]:
    """The (requests, seconds) of an action, the setting's over the default; read on each call, so a change of
    the setting (a test's, a benchmark's) applies at once."""
    configured = getattr(settings, "DANGJIAN_SUPERVISION_LIMITS", None) or {}
    if not isinstance(configured, dict) or set(configured) - set(LIMITS):
        raise ImproperlyConfigured(f"DANGJIAN_SUPERVISION_LIMITS takes a dict with the keys {sorted(LIMITS)}")
    value = configured.get(action, LIMITS[action])
    try:
        count, seconds = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ImproperlyConfigured(
            f"DANGJIAN_SUPERVISION_LIMITS[{action!r}] must be (requests, seconds), not {value!r}"
        ) from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"DANGJIAN_SUPERVISION_LIMITS[{action!r}] must be positive, not {value!r}")
    return count, seconds


def _key(request, action: str) -> str:
    secret = hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"dj-throttle", digest_size=32).digest()
    address = client_address(request)
    return f"supervision:throttle:{action}:{hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]}"


def allow(request, action: str) -> bool:
    """Count one more request; False once the address has used up its allowance for the window."""
    allowed, window = limit(action)
    key = _key(request, action)
    if cache.add(key, 1, window):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        return True
    # None: the cache is away (Redis down; the backend logged it). A citizen's letter goes through; the limit resumes
    # when the cache is back.
    return count is None or count <= allowed
