"""Sending, reading, refusing, forwarding, deleting and expiring encrypted mail, on both crypto suites."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import blake3
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.models import AuditRecord, Notification
from dangjian.services.securemail import actions
from dangjian.services.securemail.actions import AppointmentWarning, Upload
from dangjian.services.securemail.models import Category, Message, Recipient

ATTACHMENT = "附件：2026年党建工作要点。".encode() * 5000


def send(network, to=("d1", "d2", "d3"), **kwargs):
    kwargs.setdefault("category", Category.NOTICE)
    kwargs.setdefault("subject", "关于开展主题党日活动的通知")
    kwargs.setdefault("body", "请各单位于本月底前报送材料。")
    kwargs.setdefault("uploads", [Upload("工作要点.docx", io.BytesIO(ATTACHMENT))])
    return actions.send_message(
        actor=network.officers["t1"], unlocked=network.unlocked("t1"), sender_unit=network.units["t1"],
        recipients=[network.units[k] for k in to], doc_number="会文发〔2026〕3号", **kwargs,
    )  # fmt: skip


def read(network, key, message):
    return actions.open_message(actor=network.officers[key], unlocked=network.unlocked(key), message=message)


def test_township_sends_to_three_departments_each_reads_and_a_fourth_cannot(network):
    message = send(network)
    for key in ("d1", "d2", "d3"):
        opened = read(network, key, message)
        assert opened.subject == "关于开展主题党日活动的通知"
        assert opened.body == "请各单位于本月底前报送材料。"
        name, chunks = actions.attachment_chunks(opened, 0)
        assert (name, b"".join(chunks)) == ("工作要点.docx", ATTACHMENT)
    with pytest.raises(PermissionDenied):
        read(network, "d4", message)
    read_by = Recipient.objects.filter(message=message, read_at__isnull=False).values_list("unit__code", flat=True)
    assert set(read_by) == {"D1", "D2", "D3"}
    receipts = Notification.objects.filter(kind="securemail.receipt", recipient=network.officers["t1"])
    assert receipts.count() == 3
    assert AuditRecord.objects.filter(verb="securemail.message.read").count() == 3


def test_a_fourth_unit_cannot_open_a_wrapped_key_even_with_a_copied_grant_row(network):
    message = send(network, to=("d1",))
    recipient = message.recipients.get()
    with pytest.raises(PermissionDenied):
        network.unlocked("d4").unit_keys(recipient.unit_key)


def test_sender_keeps_a_readable_copy(network):
    message = send(network)
    assert read(network, "t1", message).subject == "关于开展主题党日活动的通知"


def test_declared_cadre_appointment_material_is_refused_and_nothing_is_stored(network):
    with pytest.raises(ValidationError, match="干部任免"):
        send(network, category=Category.CADRE_APPOINTMENT)
    assert not Message.objects.exists()


def test_appointment_words_in_text_or_file_names_warn_until_the_sender_confirms(network):
    with pytest.raises(AppointmentWarning, match="任免"):
        send(network, subject="关于张三同志任免的通知")
    with pytest.raises(AppointmentWarning, match="拟任"):
        send(network, uploads=[Upload("拟任人选名单.xlsx", io.BytesIO(b"x"))])
    assert not Message.objects.exists()
    assert send(network, subject="关于任免工作培训会的通知", confirm_not_appointment=True).pk


def test_wrong_passphrase_is_refused(network):
    from dangjian.services.securemail.keys import unlock

    with pytest.raises(ValidationError):
        unlock(user=network.officers["d1"], passphrase="not the passphrase")


def test_bad_input_is_refused_with_a_reason(network, settings):
    with pytest.raises(ValidationError):
        send(network, to=())
    with pytest.raises(ValidationError):
        send(network, to=("d1", "d1"))
    with pytest.raises(ValidationError):
        send(network, subject="  ")
    with pytest.raises(ValidationError):
        send(network, expires_at=timezone.now() - timedelta(days=1))
    settings.SECUREMAIL_MAX_RECIPIENTS = 2
    with pytest.raises(ValidationError, match="2"):
        send(network)
    assert not Message.objects.exists()


def test_a_tampered_message_fails_verification(network):
    message = send(network, to=("d1",))
    message.doc_number = "会文发〔2026〕4号"
    with pytest.raises(ValidationError):
        read(network, "d1", message)
    message = Message.objects.get(pk=message.pk)
    header = bytearray(bytes(message.header))
    header[-1] ^= 1
    message.header = bytes(header)
    with pytest.raises(ValidationError):
        read(network, "d1", message)


def test_forwarding_within_policy(network):
    message = send(network, to=("d1",))
    forwarded = actions.forward_message(
        actor=network.officers["d1"], unlocked=network.unlocked("d1"), message=message,
        recipients=[network.units["d4"]], note="请阅。",
    )  # fmt: skip
    opened = read(network, "d4", forwarded)
    assert opened.subject == "关于开展主题党日活动的通知"
    assert "请阅。" in opened.body and "文武坝镇" in opened.body
    assert b"".join(actions.attachment_chunks(opened, 0)[1]) == ATTACHMENT
    assert forwarded.forwarded_from_id == message.pk
    closed = send(network, to=("d1",), forwardable=False)
    with pytest.raises(ValidationError):
        actions.forward_message(
            actor=network.officers["d1"], unlocked=network.unlocked("d1"), message=closed,
            recipients=[network.units["d4"]],
        )  # fmt: skip
    with pytest.raises(ValidationError):
        actions.forward_message(
            actor=network.officers["t1"], unlocked=network.unlocked("t1"), message=message,
            recipients=[network.units["d4"]],
        )  # fmt: skip


def test_deleting_destroys_the_units_key_and_the_last_deletion_the_content(network, django_capture_on_commit_callbacks):
    message = send(network, to=("d1",))
    path = message.attachments.get().file.path
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_message(actor=network.officers["d1"], message=message)
    with pytest.raises(ValidationError):
        read(network, "d1", message)
    assert read(network, "t1", message).subject
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_message(actor=network.officers["t1"], message=message)
    message.refresh_from_db()
    assert message.purged_at is not None and not bytes(message.header)
    import os

    assert not os.path.exists(path)


def test_expired_messages_are_destroyed(network):
    message = send(network, to=("d1",), expires_at=timezone.now() + timedelta(days=1))
    assert actions.purge_expired() == 0
    assert actions.purge_expired(now=timezone.now() + timedelta(days=2)) == 1
    message.refresh_from_db()
    with pytest.raises(ValidationError):
        read(network, "d1", message)
    assert actions.purge_expired(now=timezone.now() + timedelta(days=2)) == 0


def _digest(message, data: bytes, version: int) -> bytes:
    """A ciphertext's digest as each manifest version defines it, computed here without the app's code."""
    if message.suite != "nacl":
        return sm3(data)
    if version == 3:
        return blake3.blake3(data).digest()
    return (hashlib.sha256(data) if version == 2 else hashlib.blake2b(data, digest_size=32)).digest()


def sm3(data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def test_new_mail_is_signed_as_manifest_version_3_with_blake3_digests_of_the_ciphertexts(network):
    message = send(network, to=("d1",))
    manifest = json.loads(message.manifest)
    attachment = message.attachments.get()
    with attachment.file.open("rb") as f:
        stored = f.read()
    assert manifest["v"] == 3
    assert manifest["header"] == _digest(message, bytes(message.header), 3).hex()
    assert manifest["attachments"] == [[len(ATTACHMENT), _digest(message, stored, 3).hex()]]
    assert bytes(attachment.digest) == _digest(message, stored, 3)
    opened = read(network, "d1", message)
    assert b"".join(actions.attachment_chunks(opened, 0)[1]) == ATTACHMENT


def _as_version(network, message, version: int):
    """Rewrite a message as older code stored it: version 1, BLAKE2b-256 digests; version 2, SHA-256 (SM3 in the
    国密 suite for both), in a manifest of that version signed by the sending unit."""
    s = crypto.suite(message.suite)
    manifest = json.loads(message.manifest)
    attachment = message.attachments.get()
    with attachment.file.open("rb") as f:
        attachment.digest = _digest(message, f.read(), version)
    attachment.save(update_fields=["digest"])
    manifest.update(
        v=version,
        header=_digest(message, bytes(message.header), version).hex(),
        attachments=[[attachment.size, bytes(attachment.digest).hex()]],
    )
    message.manifest = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    sender = network.unlocked("t1").current_keys(network.units["t1"])
    message.signature = s.sign(sender.sign.private, sender.sign.public, message.manifest.encode())
    message.save(update_fields=["manifest", "signature"])
    return Message.objects.get(pk=message.pk)


@pytest.mark.parametrize("version", [1, 2])
def test_mail_signed_as_an_older_manifest_version_still_opens_and_still_detects_alteration(network, version):
    message = _as_version(network, send(network, to=("d1", "d2")), version)
    assert json.loads(message.manifest)["v"] == version
    opened = read(network, "d1", message)
    assert opened.subject == "关于开展主题党日活动的通知"
    assert b"".join(actions.attachment_chunks(opened, 0)[1]) == ATTACHMENT
    attachment = message.attachments.get()
    with open(attachment.file.path, "r+b") as f:
        f.seek(-1, io.SEEK_END)
        last = f.read(1)
        f.seek(-1, io.SEEK_END)
        f.write(bytes([last[0] ^ 1]))
    with pytest.raises(ValidationError):
        actions.attachment_chunks(read(network, "d2", message), 0)


def test_a_manifest_whose_version_is_changed_on_the_server_fails_verification(network):
    message = send(network, to=("d1",))
    for changed in ('"v":2', '"v":1', '"v":4'):
        message.manifest = re.sub(r'"v":\d+', changed, message.manifest)
        with pytest.raises(ValidationError):
            read(network, "d1", message)
