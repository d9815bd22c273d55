"""ID numbers and phones are encrypted at rest and found through a keyed blind index."""

import pytest
from django.db import connection

from dangjian.services.registry import crypto
from dangjian.services.registry.models import Person

pytestmark = pytest.mark.django_db


def test_identifiers_are_not_stored_in_clear(make_person):
    person = make_person(id_number="360733199001011237", phone="13812345678")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM registry_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert "360733199001011237" not in stored_id and stored_id.startswith("v1:")
    assert "13812345678" not in stored_phone
    reloaded = Person.objects.get(pk=person.pk)
    assert reloaded.id_number == "360733199001011237"
    assert reloaded.phone == "13812345678"


def test_the_same_value_encrypts_differently_each_time():
    assert crypto.encrypt("13812345678") != crypto.encrypt("13812345678")


def test_a_tampered_value_does_not_decrypt():
    stored = crypto.encrypt("13812345678")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored[:-4] + ("AAAA" if not stored.endswith("AAAA") else "BBBB"))


def test_the_blind_index_is_keyed_and_separates_kinds(monkeypatch):
    a = crypto.blind_index("id", "360733199001011237")
    assert a == crypto.blind_index("id", "360733199001011237")
    assert a != crypto.blind_index("phone", "360733199001011237")
    monkeypatch.setenv("DANGJIAN_FIELD_KEY", "11" * 32)
    crypto.reset_keys()
    try:
        assert crypto.blind_index("id", "360733199001011237") != a
    finally:
        monkeypatch.delenv("DANGJIAN_FIELD_KEY")
        crypto.reset_keys()


def test_a_malformed_field_key_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("DANGJIAN_FIELD_KEY", "too-short")
    crypto.reset_keys()
    try:
        with pytest.raises(ImproperlyConfigured):
            crypto.encrypt("x")
    finally:
        monkeypatch.delenv("DANGJIAN_FIELD_KEY")
        crypto.reset_keys()
