"""The client's address as the site sees it, behind the county's reverse proxies.

Behind nginx every request comes from 127.0.0.1; the visitor's address is the last hop that nginx appended to
X-Forwarded-For. Only proxies named in DANGJIAN_TRUSTED_PROXIES are believed: the header is otherwise the
visitor's to write, and a forged one must not let a writer escape the rate limits or the login lockout.
"""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR, or, when that is a trusted proxy, the right-most X-Forwarded-For hop that is not one."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.DANGJIAN_TRUSTED_PROXIES
    if remote not in trusted:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop
    return remote
