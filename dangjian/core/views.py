"""Login in two steps (password, then TOTP for staff), TOTP enrolment with recovery codes, logout."""

from __future__ import annotations

from base64 import b32encode
from typing import cast
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.core import audit
from dangjian.core.models import User

RECOVERY_CODES = 10


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/work/"


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit.record(actor=user, verb="auth.login_password")
        if user.needs_otp:
            target = "/accounts/otp/" if any(devices_for_user(user)) else "/accounts/otp/setup/"
            return redirect(f"{target}?{urlencode({'next': _next(self.request)})}")
        return response


@login_required
def verify_otp(request: HttpRequest) -> HttpResponse:
    from dangjian.core.forms import TokenForm

    user = cast(User, request.user)  # login_required: never anonymous here
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            audit.record(actor=user, verb="auth.login_otp", after={"device": device.persistent_id})
            return redirect(_next(request))
        form.add_error("token", _("The code is wrong or has expired. Try the current code."))
    return render(request, "core/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def setup_otp(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show the secret as a QR code, confirm with one code, hand out recovery codes once."""
    from dangjian.core.forms import TokenForm

    user = cast(User, request.user)  # login_required: never anonymous here
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect(f"/accounts/otp/?{urlencode({'next': _next(request)})}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                static, _created = StaticDevice.objects.get_or_create(user=user, name="recovery")
                static.token_set.all().delete()
                codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
                StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
                audit.record(actor=user, verb="auth.otp_enrolled")
            otp_login(request, device)
            return render(request, "core/recovery_codes.html", {"codes": codes, "next": _next(request)})
        form.add_error("token", _("The code does not match. Check the time on your phone and try again."))
    secret = b32encode(device.bin_key).decode().rstrip("=")
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return render(
        request,
        "core/otp_setup.html",
        {"form": form, "secret": secret, "qr_svg": qr_svg, "next": _next(request)},
    )


def logout(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "core/logout.html")
    from django.contrib.auth import logout as auth_logout

    if request.user.is_authenticated:
        audit.record(actor=request.user, verb="auth.logout")
    auth_logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("/")
