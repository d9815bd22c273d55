"""Fixtures of the services supermarket: party branches under the test tree, people made through the actions,
and logged-in staff clients that have passed the second factor."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.core import actions as core_actions
from dangjian.core.models import UnitKind
from dangjian.services.registry.actions import PersonData, create_person

W = [pow(2, 17 - i, 11) for i in range(17)]


def valid_id(first17: str) -> str:
    """Complete 17 digits with the GB 11643-1999 check character."""
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, W, strict=True)) % 11]


@pytest.fixture
def branches(tree):
    """A party branch under each village, and an organ branch under the department."""
    make = core_actions.create_unit
    b1 = make(actor=None, code="B1", name="上坑村党支部", kind=UnitKind.BRANCH, parent=tree["v1"])
    b2 = make(actor=None, code="B2", name="下塘村党支部", kind=UnitKind.BRANCH, parent=tree["v2"])
    b3 = make(actor=None, code="B3", name="组织部机关党支部", kind=UnitKind.BRANCH, parent=tree["d1"])
    return {**tree, "b1": b1, "b2": b2, "b3": b3}


@pytest.fixture
def make_person(branches):
    counter = iter(range(100, 1000))

    def make(name: str = "张三", branch=None, **fields):
        seq = next(counter)
        defaults = dict(
            gender="male",
            id_number=valid_id(f"360733199001{seq % 28 + 1:02d}{seq:03d}"[:17]),
            joined_date=date(2015, 7, 1),
            full_member_date=date(2016, 7, 1),
            phone=f"138{seq:08d}",
        )
        defaults.update(fields)
        if "id_number" in fields and fields["id_number"] and "gender" not in fields:
            number = fields["id_number"]
            defaults["gender"] = "male" if len(number) == 18 and int(number[16]) % 2 else "female"
        if defaults["id_number"] and len(defaults["id_number"]) == 18 and "gender" not in fields:
            defaults["gender"] = "male" if int(defaults["id_number"][16]) % 2 else "female"
        return create_person(actor=None, data=PersonData(name=name, branch=branch or branches["b1"], **defaults))

    return make


@pytest.fixture
def immediate_tasks(settings):
    """Background tasks run at once, as a worker would run them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def staff_client(client, make_user):
    """A client logged in as a new user with the given roles, second factor verified."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(username: str, *roles):
        user = make_user(username, *roles)
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        client.user = user
        return client

    return login
