"""Key management: officers granted and revoked, rotation, a unit closing or merging; old mail stays readable for
those who still may read it, and every key event is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.securemail import actions
from dangjian.services.securemail.keys import unlock
from dangjian.services.securemail.models import KeyGrant, KeyState, UnitKey
from tests.securemail.conftest import PASS
from tests.securemail.test_mail import read, send


@pytest.fixture
def second_officer(network, make_user):
    """A second officer of department D1, enrolled and granted the unit's keys by the first."""
    user = make_user("officer_d1_b", (RoleKind.RESPONDER, network.units["d1"]))
    actions.enrol_officer(actor=user, passphrase="another-mail-passphrase")
    actions.grant_officer(
        actor=network.officers["d1"], unlocked=network.unlocked("d1"), unit=network.units["d1"], officer=user
    )
    return user


def open_as(user, passphrase, message):
    return actions.open_message(actor=user, unlocked=unlock(user=user, passphrase=passphrase), message=message)


def test_a_granted_officer_reads_old_and_new_mail(network, second_officer):
    old = send(network, to=("d1",))
    assert open_as(second_officer, "another-mail-passphrase", old).subject


def test_an_officer_without_a_role_at_the_unit_cannot_be_granted(network, make_user):
    outsider = make_user("outsider", (RoleKind.UNIT_HEAD, network.units["d2"]))
    actions.enrol_officer(actor=outsider, passphrase="outsider-passphrase")
    with pytest.raises(ValidationError):
        actions.grant_officer(
            actor=network.officers["d1"], unlocked=network.unlocked("d1"), unit=network.units["d1"], officer=outsider
        )


def test_revoked_officer_loses_access_and_the_key_rotates_old_mail_stays_readable(network, second_officer):
    old = send(network, to=("d1",))
    before = UnitKey.objects.get(unit=network.units["d1"], state=KeyState.CURRENT)
    actions.revoke_officer(actor=network.officers["d1"], unit=network.units["d1"], officer=second_officer)
    current = UnitKey.objects.get(unit=network.units["d1"], state=KeyState.CURRENT)
    assert current.version == before.version + 1
    assert not KeyGrant.objects.filter(officer=second_officer).exists()
    with pytest.raises(PermissionDenied):
        open_as(second_officer, "another-mail-passphrase", old)
    new = send(network, to=("d1",))
    assert new.recipients.get().unit_key == current
    assert read(network, "d1", old).subject and read(network, "d1", new).subject


def test_a_closed_unit_receives_nothing_more_but_reads_its_old_mail(network):
    old = send(network, to=("d1",))
    with pytest.raises(ValidationError):
        actions.revoke_unit_key(actor=network.officers["d1"], unit=network.units["d1"], reason=" ")
    actions.revoke_unit_key(actor=network.officers["d1"], unit=network.units["d1"], reason="撤并")
    with pytest.raises(ValidationError, match="县委组织部"):
        send(network, to=("d1",))
    assert read(network, "d1", old).subject


def test_merging_gives_the_target_officers_the_old_mail(network):
    old = send(network, to=("d1",))
    actions.merge_unit(
        actor=network.officers["d1"], unlocked=network.unlocked("d1"), source=network.units["d1"],
        target=network.units["d2"],
    )  # fmt: skip
    assert read(network, "d2", old).subject
    assert not UnitKey.objects.filter(unit=network.units["d1"], state=KeyState.CURRENT).exists()


def test_someone_outside_the_unit_cannot_rotate_or_revoke(network):
    with pytest.raises(PermissionDenied):
        actions.rotate_unit_key(actor=network.officers["d2"], unit=network.units["d1"])
    with pytest.raises(PermissionDenied):
        actions.revoke_officer(actor=network.officers["d2"], unit=network.units["d1"], officer=network.officers["d1"])


def test_passphrase_change_keeps_the_keys(network):
    message = send(network, to=("d1",))
    actions.change_passphrase(
        actor=network.officers["d1"], unlocked=network.unlocked("d1"), passphrase="a-new-one-2026"
    )
    with pytest.raises(ValidationError):
        unlock(user=network.officers["d1"], passphrase=PASS)
    assert open_as(network.officers["d1"], "a-new-one-2026", message).subject


def test_every_key_event_is_audited(network, second_officer):
    actions.rotate_unit_key(actor=network.officers["d1"], unit=network.units["d1"], reason="定期更换")
    actions.revoke_officer(actor=network.officers["d1"], unit=network.units["d1"], officer=second_officer)
    actions.revoke_unit_key(actor=network.officers["d2"], unit=network.units["d2"], reason="撤并")
    verbs = set(AuditRecord.objects.filter(verb__startswith="securemail.").values_list("verb", flat=True))
    assert {
        "securemail.officer.enrol", "securemail.key.create", "securemail.key.grant", "securemail.key.rotate",
        "securemail.key.revoke_officer", "securemail.key.revoke",
    } <= verbs  # fmt: skip
