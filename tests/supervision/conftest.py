"""Supervision fixtures: the four channels of the demo on the test tree, and the people who handle letters."""

from __future__ import annotations

from datetime import datetime

import pytest

from dangjian.core import calendar
from dangjian.core.models import RoleKind
from dangjian.supervision.models import Channel

CHANNELS = [
    ("secretary", "书记信箱", {}),
    ("county-head", "县长信箱", {}),
    ("voice", "民声通道", {}),
    ("supervision", "监督投诉", {"is_published": False, "is_confidential": True}),
]

#: Monday 3 March 2025, 10:00 in Huichang: an ordinary working week.
MONDAY = datetime(2025, 3, 3, 10, 0, tzinfo=calendar.SHANGHAI)


@pytest.fixture
def channels(tree):
    return {
        code: Channel.objects.create(
            code=code, name=name, addressee=name, email=f"{code}@dangjian.localhost", unit=tree["county"], position=i,
            **extra,
        )
        for i, (code, name, extra) in enumerate(CHANNELS)
    }  # fmt: skip


PASSWORD = "correct-horse-battery"


@pytest.fixture
def people(tree):
    """The handlers of a letter. One password hash shared by all (Argon2 per user would slow every test)."""
    from django.contrib.auth.hashers import make_password

    from dangjian.core import actions as core_actions
    from dangjian.core.models import User

    hashed = make_password(PASSWORD)
    roles = {
        "office": (RoleKind.SUPERVISION_OFFICE, tree["county"]),
        "leader": (RoleKind.COUNTY_LEADER, tree["county"]),
        "responder": (RoleKind.RESPONDER, tree["t1"]),
        "head": (RoleKind.UNIT_HEAD, tree["t1"]),
        "other": (RoleKind.RESPONDER, tree["t2"]),
        "member": (RoleKind.MEMBER, tree["v1"]),
    }
    users = {}
    for name, (kind, unit) in roles.items():
        users[name] = User.objects.create(username=name, password=hashed)
        core_actions.assign_role(actor=None, user=users[name], unit=unit, kind=kind)
    return users


@pytest.fixture
def write(channels):
    """Submit a letter through the action, with sensible defaults."""
    from dangjian.supervision import actions

    counter = iter(range(1, 10_000))

    def submit(channel="voice", *, title=None, body=None, anonymous=True, **kw):
        n = next(counter)
        return actions.submit_letter(
            channel_code=channel,
            title=title or f"村道路灯损坏 {n}",
            body=body or f"上坑村的路灯坏了两个月，请维修。第{n}封。",
            anonymous=anonymous,
            **kw,
        )

    return submit


def mail_passphrase(name: str) -> str:
    return f"Mail-{name}-passphrase"


@pytest.fixture
def keys(people, tree):
    """The handlers on the encrypted mail network: the office (county), 't1' (responder, head), 't2' (other).

    Returns each officer's unlocked key, which opens the confidential letters of their units."""
    from dangjian.services.securemail import actions as mail
    from dangjian.services.securemail.keys import unlock

    for name in ("office", "responder", "head", "other"):
        mail.enrol_officer(actor=people[name], passphrase=mail_passphrase(name))
    opened = {name: unlock(user=people[name], passphrase=mail_passphrase(name)) for name in people if name in
              ("office", "responder", "head", "other")}  # fmt: skip
    mail.create_unit_key(actor=people["office"], unit=tree["county"])
    mail.create_unit_key(actor=people["responder"], unit=tree["t1"])
    mail.grant_officer(actor=people["responder"], unlocked=opened["responder"], unit=tree["t1"], officer=people["head"])
    mail.create_unit_key(actor=people["other"], unit=tree["t2"])
    return opened


@pytest.fixture
def dispatched(write, people, tree, request):
    """A letter received on MONDAY and dispatched to the first township (a confidential one with the office's key)."""
    from dangjian.supervision import actions

    def make(**kw):
        kw.setdefault("received_at", MONDAY)
        confidential = Channel.objects.get(code=kw.get("channel", "voice")).is_confidential
        unlocked = request.getfixturevalue("keys")["office"] if confidential else None
        sub = write(**kw)
        actions.dispatch_letter(actor=people["office"], letter=sub.letter, unit=tree["t1"], unlocked=unlocked)
        sub.letter.refresh_from_db()
        return sub

    return make


@pytest.fixture
def login(client):
    """Log a user in with a verified second factor (the staff area needs one for every staff role)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def as_user(user):
        device = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})[0]
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return as_user


def solved() -> dict[str, str]:
    """The letter form's proof of work, done: a fresh challenge and its nonce (what the page's script sends)."""
    from dangjian.supervision import pow

    challenge = pow.issue()
    return {"pow_challenge": challenge, "pow_nonce": pow.solve(challenge)}
