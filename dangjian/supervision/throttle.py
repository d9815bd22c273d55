"""Rate limits on the public forms, counted in the cache under a keyed hash of the address (never the address).

The key is HMAC-SHA256 of the client address under a key derived from SECRET_KEY: the cache holds no address,
so even an anonymous writer's address is never stored, and the counter expires with its window.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

from dangjian.core.http import client_address

#: (requests, seconds) per action and address.
LIMITS = {"write": (10, 3600), "lookup": (30, 600)}


def _key(request, action: str) -> str:
    secret = hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"dj-throttle", digest_size=32).digest()
    address = client_address(request)
    return f"supervision:throttle:{action}:{hmac.new(secret, address.encode(), hashlib.sha256).hexdigest()[:32]}"


def allow(request, action: str) -> bool:
    """Count one more request; False once the address has used up its allowance for the window."""
    limit, window = LIMITS[action]
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
    return count is None or count <= limit
