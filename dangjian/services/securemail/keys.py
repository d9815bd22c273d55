"""Unlocked keys: an officer's identity opened with their passphrase, and the unit keys it opens in turn.

Key hierarchy (see docs/securemail.md):
passphrase ─Argon2id/PBKDF2-SM3→ passphrase key ─seals→ officer private key ─unwraps→ KeyGrant → unit private keys
─unwrap→ content key of each message ─decrypts→ header and attachments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from dangjian.core import crypto
from dangjian.core.crypto import CryptoError, KeyPair
from dangjian.core.models import Unit, User
from dangjian.services.securemail import conf
from dangjian.services.securemail.models import KeyGrant, KeyState, OfficerIdentity, UnitKey


def identity_aad(user_id: int, suite: str) -> bytes:
    return f"securemail-identity:{user_id}:{suite}".encode()


def grant_payload(wrap: KeyPair, sign: KeyPair) -> bytes:
    return wrap.private + sign.private


@dataclass
class UnitKeys:
    unit_key: UnitKey
    wrap: KeyPair
    sign: KeyPair


@dataclass
class Unlocked:
    """An officer's opened identity; unit keys are opened from their grants on first use and kept here."""

    user_id: int
    suite: str
    identity: KeyPair
    _opened: dict[int, UnitKeys] = field(default_factory=dict)

    @property
    def s(self) -> crypto.Suite:
        return crypto.suite(self.suite)

    def unit_keys(self, unit_key: UnitKey) -> UnitKeys:
        if unit_key.pk in self._opened:
            return self._opened[unit_key.pk]
        grant = KeyGrant.objects.filter(unit_key=unit_key, officer_id=self.user_id).first()
        if grant is None:
            raise PermissionDenied
        try:
            payload = self.s.unwrap(self.identity, bytes(grant.wrapped))
        except CryptoError as exc:
            raise PermissionDenied from exc
        half = len(payload) // 2
        keys = UnitKeys(
            unit_key,
            KeyPair(bytes(unit_key.wrap_public), payload[:half]),
            KeyPair(bytes(unit_key.sign_public), payload[half:]),
        )
        self._opened[unit_key.pk] = keys
        return keys

    def current_keys(self, unit: Unit) -> UnitKeys:
        key = UnitKey.objects.filter(unit=unit, suite=self.suite, state=KeyState.CURRENT).first()
        if key is None:
            raise ValidationError(_("%(unit)s has no key on the encrypted mail network.") % {"unit": unit.name})
        return self.unit_keys(key)


def unlock(*, user: User, passphrase: str, suite: str | None = None) -> Unlocked:
    """Open the officer's identity. Raises ValidationError for a wrong passphrase or an officer not enrolled."""
    s = crypto.suite(suite or conf.suite_name())
    identity = OfficerIdentity.objects.filter(user=user, suite=s.name).first()
    if identity is None:
        raise ValidationError(_("Set a mail passphrase first."))
    key = s.passphrase_key(passphrase, bytes(identity.salt))
    try:
        private = s.open(key, bytes(identity.sealed_private), identity_aad(user.pk, s.name))
    except CryptoError as exc:
        raise ValidationError(_("The mail passphrase is wrong.")) from exc
    return Unlocked(user.pk, s.name, KeyPair(bytes(identity.public), private))


def officer_units(user: User, suite: str | None = None) -> list[Unit]:
    """Units whose mail the user may read: those with a key (any version) granted to the user."""
    suite = suite or conf.suite_name()
    ids = KeyGrant.objects.filter(officer=user, unit_key__suite=suite).values("unit_key__unit")
    return list(Unit.objects.filter(pk__in=ids, is_active=True).order_by("path"))
