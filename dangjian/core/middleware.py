"""Staff areas (/work/, /cms/, /admin/) need a login, and a verified second factor for every staff role.

The API (/api/) is a door to the same data: a staff user who has passed only the password step gets 401 there.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import csp.middleware as _csp
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

PROTECTED_PREFIXES = ("/work/", "/cms/", "/admin/")
API_PREFIX = "/api/"
ADMIN_PREFIXES = ("/cms/", "/admin/")


class StaffOTPMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(PROTECTED_PREFIXES):
            user = request.user
            query = urlencode({"next": request.get_full_path()})
            if not user.is_authenticated:
                return redirect(f"/accounts/login/?{query}")
            if user.needs_otp and not user.is_verified():
                from django_otp import devices_for_user

                target = "/accounts/otp/" if any(devices_for_user(user)) else "/accounts/otp/setup/"
                return redirect(f"{target}?{query}")
        elif path.startswith(API_PREFIX):
            user = request.user
            if user.is_authenticated and user.needs_otp and not user.is_verified():
                return JsonResponse({"detail": _("Two-step verification is required.")}, status=401)
        return self.get_response(request)


#: A session in use has its idle clock (SESSION_COOKIE_AGE from the last request) pushed forward at most once in
#: this many seconds: a request within it does not write the session row again.
SESSION_TOUCH_SECONDS = 60
TOUCH_KEY = "_dangjian_touched"


class SessionTouchMiddleware:
    """The idle timeout without a write on every request. SESSION_SAVE_EVERY_REQUEST would save the session row on
    each request of a signed-in user (on PostgreSQL an UPDATE and a commit that waits for the WAL on disk, for a
    page that only reads); instead a session is saved when it changed or when its last save is a minute old, so it
    ends between SESSION_COOKIE_AGE minus a minute and SESSION_COOKIE_AGE after the last request. Placed after
    SessionMiddleware, so that its mark is saved by it; a visitor without a session gets none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or not session.session_key:
            return response
        touched = session.get(TOUCH_KEY, 0)  # loads the session; an unknown or expired one loses its key
        now = int(time.time())
        if session.session_key and (not isinstance(touched, int) or now - touched >= SESSION_TOUCH_SECONDS):
            session[TOUCH_KEY] = now
        return response


class CSPMiddleware(_csp.CSPMiddleware):
    """django-csp with one exception: the public site and the workbench allow no inline script or style; the two
    admin sites (Wagtail at /cms/, Django at /admin/) ship inline scripts and styles of their own, so only their
    responses add 'unsafe-inline'. CSP Level 3, https://www.w3.org/TR/CSP3/#directive-script-src."""

    def get_policy_parts(self, request, response, report_only=False):
        if request.path.startswith(ADMIN_PREFIXES) and not report_only:
            update = dict(getattr(response, "_csp_update", None) or {})
            for directive in ("script-src", "style-src"):
                update[directive] = [*update.get(directive, []), "'unsafe-inline'"]
            response._csp_update = update
        return super().get_policy_parts(request, response, report_only)
