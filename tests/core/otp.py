"""Test helpers for the second factor: current TOTP codes and a session as the two-step login leaves it."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for the device's key (computed independently of the device)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def login_verified(client, user) -> TOTPDevice:
    """Log the user in with a confirmed TOTP device and the second factor verified, as the two-step login ends."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user, backend=MODEL_BACKEND)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
