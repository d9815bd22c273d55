"""Confidential letters at rest: sealed under a key per letter, wrapped for the office and the units handling it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from dangjian.core.models import AuditRecord, Notification
from dangjian.education import samples
from dangjian.supervision import actions, attachments, sealing
from dangjian.supervision.models import Attachment, Letter, LetterKey, Status
from tests.supervision.conftest import mail_passphrase

SECRET_BODY = "举报县某局副局长王某某在项目验收中收受好处费，时间是今年三月。"
NAME, PHONE = "李秀英", "13907971234"
# A real PDF (a letter's PDF is read for scripts before it is taken), with the evidence in clear in its bytes.
PDF = samples.pdf(["收款凭证"]) + b"% evidence: contract number HT-2025-0307\n"


def _confidential(write, **kw):
    return write(
        "supervision", title="反映干部作风问题", body=SECRET_BODY, anonymous=False, contact_name=NAME,
        contact_phone=PHONE, attachments=[attachments.Upload("王某某收款凭证.pdf", PDF)], **kw,
    )  # fmt: skip


def _table_dump(*models) -> str:
    """Every stored column of the given tables, as the bytes a copy of the database would show."""
    out = []
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608 - table names from the models
            for row in cursor.fetchall():
                for value in row:
                    out.append(bytes(value).hex() if isinstance(value, bytes | memoryview) else str(value))
    return " ".join(out)


def test_a_copy_of_the_database_and_the_media_folder_holds_no_letter_text(write, keys):
    sub = _confidential(write)
    dump = _table_dump(Letter, Attachment, LetterKey)
    for secret in (SECRET_BODY, NAME, PHONE, "王某某收款凭证", "HT-2025-0307"):
        assert secret not in dump
        assert secret.encode().hex() not in dump
    stored = Attachment.objects.get()
    with stored.file.open("rb") as f:
        on_disk = f.read()
    assert b"HT-2025-0307" not in on_disk and b"%PDF" not in on_disk
    assert stored.is_sealed and stored.name != "王某某收款凭证.pdf"
    assert stored.sha256 != hashlib.sha256(PDF).hexdigest()  # the digest would confirm a guessed file
    letter = sub.letter
    letter.refresh_from_db()
    assert letter.is_sealed and letter.body == "" and letter.contact_name == letter.contact_phone == ""
    # The writer still got the receipt, at the number that is now only inside the seal.
    assert Notification.objects.get(kind="letter.receipt").address == PHONE


def test_the_office_opens_the_letter_and_its_file_with_its_officers_key(write, keys):
    letter = _confidential(write).letter
    opened = sealing.open_letter(letter, keys["office"])
    assert (opened.body, opened.contact_name, opened.contact_phone) == (SECRET_BODY, NAME, PHONE)
    stored = Attachment.objects.get()
    assert opened.attachment_name(stored) == "王某某收款凭证.pdf"
    assert sealing.attachment_bytes(stored, opened) == PDF


def test_a_unit_reads_only_once_dispatched_and_no_longer_once_it_sends_it_back(write, keys, people, tree):
    letter = _confidential(write).letter
    with pytest.raises(PermissionDenied):
        sealing.open_letter(letter, keys["responder"])
    actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["t1"], unlocked=keys["office"])
    letter.refresh_from_db()
    assert sealing.open_letter(letter, keys["responder"]).body == SECRET_BODY
    assert sealing.open_letter(letter, keys["head"]).body == SECRET_BODY  # granted the unit's key
    with pytest.raises(PermissionDenied):
        sealing.open_letter(letter, keys["other"])  # another township
    actions.request_transfer(actor=people["responder"], letter=letter, reason="应由县直部门办理。")
    letter.refresh_from_db()
    with pytest.raises(PermissionDenied):
        sealing.open_letter(letter, keys["responder"])
    assert sealing.open_letter(letter, keys["office"]).body == SECRET_BODY
    assert set(LetterKey.objects.filter(letter=letter).values_list("unit", flat=True)) == {tree["county"].pk}


def test_dispatch_needs_the_unlocked_key_and_a_unit_with_a_key_and_changes_nothing_otherwise(write, keys, people, tree):
    letter = _confidential(write).letter
    with pytest.raises(ValidationError) as locked:
        actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["t1"])
    assert locked.value.error_list[0].code == "locked"
    with pytest.raises(ValidationError) as no_key:
        actions.dispatch_letter(
            actor=people["office"], letter=letter, unit=tree["t1"], co_units=[tree["d1"]], unlocked=keys["office"]
        )
    assert tree["d1"].name in " ".join(no_key.value.messages)
    letter.refresh_from_db()
    assert letter.status == Status.RECEIVED and letter.unit == tree["county"]
    assert LetterKey.objects.filter(letter=letter).count() == 1


def test_signing_off_tells_the_writer_through_the_sealed_contact(write, keys, people, tree):
    letter = _confidential(write).letter
    actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["t1"], unlocked=keys["office"])
    result = actions.post_result(actor=people["responder"], letter=letter, body="经查属实，已立案处理。")
    with pytest.raises(ValidationError):
        actions.sign_off_result(actor=people["head"], result=result)
    assert Letter.objects.get(pk=letter.pk).status == Status.AWAITING_SIGNOFF
    actions.sign_off_result(actor=people["head"], result=result, unlocked=keys["head"])
    letter.refresh_from_db()
    assert letter.status == Status.ANSWERED and letter.published_at is None
    assert Notification.objects.get(kind="letter.answered").address == PHONE


def test_a_sealed_part_moved_or_altered_fails_to_open(write, keys):
    first = _confidential(write).letter
    second = write("supervision", title="另一封", body="另一封信的内容。").letter
    Letter.objects.filter(pk=second.pk).update(body_sealed=Letter.objects.get(pk=first.pk).body_sealed)
    second.refresh_from_db()
    with pytest.raises(ValidationError):
        sealing.open_letter(second, keys["office"])
    stored = Attachment.objects.get(letter=first)
    with stored.file.open("rb") as f:
        data = bytearray(f.read())
    data[-1] ^= 1
    with stored.file.open("wb") as f:
        f.write(bytes(data))
    with pytest.raises(ValidationError):
        sealing.attachment_bytes(stored, sealing.open_letter(first, keys["office"]))


def test_without_the_offices_key_the_letter_is_refused_and_nothing_is_stored(write, people):
    with pytest.raises(ValidationError) as refused:
        _confidential(write)
    assert "channel" in refused.value.message_dict
    assert not Letter.objects.exists() and not Attachment.objects.exists()
    assert not Notification.objects.filter(kind="letter.receipt").exists()


@pytest.mark.parametrize("suite", ["nacl", "sm"])
def test_both_suites_seal_and_open(write, people, tree, settings, suite):
    from dangjian.services.securemail import actions as mail
    from dangjian.services.securemail.keys import unlock

    settings.SECUREMAIL_SUITE = suite
    mail.enrol_officer(actor=people["office"], passphrase=mail_passphrase("office"))
    mail.create_unit_key(actor=people["office"], unit=tree["county"])
    letter = _confidential(write).letter
    assert LetterKey.objects.get(letter=letter).unit_key.suite == suite
    opened = sealing.open_letter(letter, unlock(user=people["office"], passphrase=mail_passphrase("office")))
    assert opened.body == SECRET_BODY and opened.suite == suite


def test_the_staff_page_asks_to_unlock_then_shows_the_letter_and_serves_the_file(write, keys, people, login):
    letter = _confidential(write).letter
    client = login(people["office"])
    page = client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
    assert SECRET_BODY not in page and NAME not in page and reverse("securemail:unlock") in page
    stored = Attachment.objects.get()
    download = reverse("supervision_work:attachment", args=[letter.pk, stored.pk])
    assert client.get(download).status_code == 302
    back = reverse("supervision_work:letter", args=[letter.pk])
    unlocked = client.post(reverse("securemail:unlock"), {"passphrase": mail_passphrase("office"), "next": back})
    assert unlocked.status_code == 302 and unlocked["Location"] == back
    page = client.get(back).content.decode()
    assert SECRET_BODY in page and NAME in page and "王某某收款凭证.pdf" in page
    response = client.get(download)
    assert response.status_code == 200 and response.content == PDF
    readings = AuditRecord.objects.filter(verb="letter.read_sealed", object_id=str(letter.pk), actor=people["office"])
    assert [r.after["what"] for r in readings.order_by("seq")] == ["letter", f"attachment:{stored.pk}"]
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_another_townships_officer_sees_neither_the_page_nor_the_file(write, keys, people, login, tree):
    letter = _confidential(write).letter
    actions.dispatch_letter(actor=people["office"], letter=letter, unit=tree["t1"], unlocked=keys["office"])
    client = login(people["other"])
    stored = Attachment.objects.get()
    assert client.get(reverse("supervision_work:letter", args=[letter.pk])).status_code == 404
    assert client.get(reverse("supervision_work:attachment", args=[letter.pk, stored.pk])).status_code == 404


def test_a_plain_letters_file_downloads_for_its_unit(write, people, login, tree):
    letter = write("voice", attachments=[attachments.Upload("照片.pdf", PDF)]).letter
    client = login(people["office"])
    stored = Attachment.objects.get()
    response = client.get(reverse("supervision_work:attachment", args=[letter.pk, stored.pk]))
    assert response.status_code == 200 and response.content == PDF
    assert not stored.is_sealed


def test_after_a_unit_key_rotates_an_opened_letter_moves_to_the_current_version(write, keys, people, tree):
    from dangjian.services.securemail import actions as mail
    from dangjian.services.securemail.models import KeyState, UnitKey

    letter = _confidential(write).letter
    retired = LetterKey.objects.get(letter=letter).unit_key
    mail.rotate_unit_key(actor=people["office"], unit=tree["county"], reason="officer left")
    retired.refresh_from_db()
    current = UnitKey.objects.get(unit=tree["county"], state=KeyState.CURRENT)
    assert retired.state == KeyState.RETIRED and current.pk != retired.pk
    # Untouched until an officer opens it: the server cannot unwrap without one.
    assert list(LetterKey.objects.filter(letter=letter).values_list("unit_key", flat=True)) == [retired.pk]

    assert sealing.open_letter(letter, keys["office"]).body == SECRET_BODY
    assert list(LetterKey.objects.filter(letter=letter).values_list("unit_key", flat=True)) == [current.pk]
    # Opened again, now through the current version.
    assert sealing.open_letter(letter, keys["office"]).body == SECRET_BODY
    assert LetterKey.objects.filter(letter=letter).count() == 1


def test_a_letter_of_a_unit_that_left_the_network_keeps_its_old_wrap(write, keys, people, tree):
    from dangjian.services.securemail import actions as mail

    letter = _confidential(write).letter
    before = list(LetterKey.objects.filter(letter=letter).values_list("pk", "unit_key"))
    mail.revoke_unit_key(actor=people["office"], unit=tree["county"], reason="merged")
    assert sealing.open_letter(letter, keys["office"]).body == SECRET_BODY
    assert list(LetterKey.objects.filter(letter=letter).values_list("pk", "unit_key")) == before
