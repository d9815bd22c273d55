"""Fixtures of the encrypted mail tests: every test that takes `suite_name` runs on both suites."""

from __future__ import annotations

import pytest

SUITE_NAMES = ["nacl", "sm"]


@pytest.fixture(params=SUITE_NAMES)
def suite_name(request, settings):
    settings.SECUREMAIL_SUITE = request.param
    return request.param


PASS = "correct-mail-passphrase"


class Network:
    """A township and four departments on the network, one enrolled officer each (unlocked on demand)."""

    def __init__(self, tree, make_user):
        from dangjian.core import actions as core_actions
        from dangjian.core.models import RoleKind, UnitKind
        from dangjian.services.securemail import actions

        self.units = {"t1": tree["t1"], "d1": tree["d1"]}
        for code, name in (("D2", "县委宣传部"), ("D3", "县纪委"), ("D4", "县财政局")):
            self.units[code.lower()] = core_actions.create_unit(
                actor=None, code=code, name=name, kind=UnitKind.DEPARTMENT, parent=tree["county"]
            )
        self.officers = {}
        for key, unit in self.units.items():
            user = make_user(f"officer_{key}", (RoleKind.UNIT_HEAD, unit))
            actions.enrol_officer(actor=user, passphrase=PASS)
            actions.create_unit_key(actor=user, unit=unit)
            self.officers[key] = user

    def unlocked(self, key):
        from dangjian.services.securemail.keys import unlock

        return unlock(user=self.officers[key], passphrase=PASS)


@pytest.fixture
def network(suite_name, tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # login passwords are not tested here
    return Network(tree, make_user)


def log_in(client, user):
    """Log the client in as the user with a verified second factor (staff pages demand one)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
