"""Staff areas (/work/, /cms/, /admin/) need a login, and a verified second factor for every staff role."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect

PROTECTED_PREFIXES = ("/work/", "/cms/", "/admin/")


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
        return self.get_response(request)
