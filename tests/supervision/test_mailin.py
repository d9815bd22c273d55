"""Letters by e-mail: smtplib sends real MIME to `dangjian mailin` on loopback, and letters appear."""

from __future__ import annotations

import smtplib
import socket
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core.models import Notification
from dangjian.education import samples
from dangjian.supervision import mailin
from dangjian.supervision.models import Letter, Source

PDF = samples.pdf(["水渠照片"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(transactional_db, channels):
    server = mailin.controller("127.0.0.1", free_port())
    server.start()
    try:
        with smtplib.SMTP(server.hostname, server.port, timeout=30) as client:
            yield client
    finally:
        server.stop()


def gbk_letter(to="voice@dangjian.localhost") -> MIMEMultipart:
    msg = MIMEMultipart()
    msg["From"] = f"{Header('刘建华', 'gbk').encode()} <liu@example.com>"
    msg["To"] = to
    msg["Subject"] = Header("村道路灯损坏多日无人维修", "gbk")
    msg.attach(MIMEText("上坑村的路灯坏了两个多月，请尽快维修。", "plain", "gbk"))
    pdf = MIMEApplication(PDF, "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("gbk", "", "现场照片说明.pdf"))
    msg.attach(pdf)
    return msg


def test_a_gbk_multipart_mail_with_an_attachment_becomes_a_letter_and_the_sender_gets_the_receipt(smtp):
    smtp.send_message(gbk_letter())
    letter = Letter.objects.get()
    assert letter.title == "村道路灯损坏多日无人维修" and "路灯坏了两个多月" in letter.body
    assert letter.source == Source.EMAIL and letter.channel.code == "voice"
    assert (letter.contact_name, letter.contact_email) == ("刘建华", "liu@example.com")
    (attachment,) = letter.attachments.all()
    assert attachment.name == "现场照片说明.pdf" and attachment.content_type == "application/pdf"
    ack = Notification.objects.get(kind="letter.receipt")
    assert ack.channel == "email" and ack.address == "liu@example.com"


def test_a_letter_mailed_to_the_confidential_channel_is_sealed(smtp, keys):
    from dangjian.supervision import sealing

    secret = "举报某站所负责人违规收费，金额约三万元。"
    msg = gbk_letter(to="supervision@dangjian.localhost")
    msg.set_payload([MIMEText(secret, "plain", "gbk"), *msg.get_payload()[1:]])
    smtp.send_message(msg)
    letter = Letter.objects.get()
    assert letter.is_sealed and letter.body == "" and letter.contact_email == ""
    assert secret not in str(list(Letter.objects.values_list()))
    opened = sealing.open_letter(letter, keys["office"])
    assert opened.body == secret and opened.contact_email == "liu@example.com"
    (attachment,) = letter.attachments.all()
    assert attachment.is_sealed and opened.attachment_name(attachment) == "现场照片说明.pdf"
    assert sealing.attachment_bytes(attachment, opened) == PDF


@pytest.mark.parametrize("charset", ["gb2312", "gb18030", "utf-8", "big5"])
def test_plain_mail_in_each_chinese_charset(smtp, charset):
    title = "路燈損壞" if charset == "big5" else "路灯损坏"
    msg = MIMEText(f"{title}，請維修。" if charset == "big5" else f"{title}，请维修。", "plain", charset)
    msg["Subject"] = Header(title, charset)
    msg["From"] = "citizen@example.com"
    msg["To"] = "secretary@dangjian.localhost"
    smtp.send_message(msg)
    letter = Letter.objects.get()
    assert letter.title == title and title in letter.body


def test_html_only_mail_is_turned_into_plain_text(smtp):
    msg = MIMEText("<html><head><style>p{}</style></head><body><p>路灯&amp;水管</p><p>坏了</p></body></html>", "html")
    msg["Subject"] = "HTML"
    msg["From"] = "citizen@example.com"
    msg["To"] = "county-head@dangjian.localhost"
    smtp.send_message(msg)
    body = Letter.objects.get().body
    assert "路灯&水管" in body and "坏了" in body and "<" not in body and "p{}" not in body


def test_mail_for_an_unknown_address_is_refused_at_rcpt(smtp):
    smtp.ehlo()
    smtp.mail("citizen@example.com")
    code, _msg = smtp.rcpt("nobody@dangjian.localhost")
    assert code == 550
    assert smtp.rcpt("voice@dangjian.localhost")[0] == 250


def test_a_mail_that_cannot_be_a_letter_is_answered_554_and_stores_nothing(smtp):
    msg = MIMEText("", "plain", "utf-8")
    msg["Subject"] = ""
    msg["From"] = "citizen@example.com"
    msg["To"] = "voice@dangjian.localhost"
    with pytest.raises(smtplib.SMTPDataError) as exc:
        smtp.send_message(msg)
    assert exc.value.smtp_code == 554
    assert not Letter.objects.exists()


def test_an_executable_attachment_is_refused(smtp):
    msg = gbk_letter()
    msg.attach(MIMEApplication(b"MZ\x90\x00" * 100, "octet-stream", Name="setup.pdf"))
    with pytest.raises(smtplib.SMTPDataError):
        smtp.send_message(msg)
    assert not Letter.objects.exists()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=4000))
def test_the_parser_never_crashes_on_hostile_bytes(raw):
    parsed = mailin.parse(raw)
    assert isinstance(parsed.title, str) and isinstance(parsed.body, str)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(subject=st.text(max_size=80), charset=st.sampled_from(["utf-8", "gb18030", "gbk", "big5", "x-unknown"]))
def test_encoded_subjects_decode_without_error(subject, charset):
    try:
        encoded = Header(subject, charset if charset != "x-unknown" else "utf-8").encode()
    except (UnicodeEncodeError, LookupError):
        return
    if charset == "x-unknown":
        encoded = encoded.replace("utf-8", "x-unknown")
    assert isinstance(mailin.decode_words(encoded), str)
