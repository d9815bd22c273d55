"""The mail pages: unlock in the session for a short time, compose with attachments, read, refuse, archive."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dangjian.services.securemail import session
from dangjian.services.securemail.models import Message, Recipient
from tests.securemail.conftest import PASS, log_in


@pytest.fixture
def clients(network):
    return {k: log_in(Client(), u) for k, u in network.officers.items()}


def unlock(client, passphrase=PASS):
    return client.post(reverse("securemail:unlock"), {"passphrase": passphrase, "next": "/work/mail/"})


def compose(client, network, **extra):
    data = {
        "sender_unit": network.units["t1"].pk,
        "recipients": [network.units[k].pk for k in ("d1", "d2", "d3")],
        "category": "notice", "doc_number": "会文发〔2026〕5号", "subject": "关于报送党建材料的通知",
        "body": "请于月底前报送。", "forwardable": "on",
        "attachments": [SimpleUploadedFile("材料清单.txt", "一、组织生活会记录".encode())],
    }  # fmt: skip
    data.update(extra)
    return client.post(reverse("securemail:compose"), data)


def test_pages_that_need_the_key_ask_for_the_passphrase_first(clients):
    response = clients["t1"].get(reverse("securemail:compose"))
    assert response.status_code == 302 and reverse("securemail:unlock") in response["Location"]
    response = unlock(clients["t1"], "wrong passphrase!")
    assert response.status_code == 200 and "口令不正确" in response.content.decode()
    assert unlock(clients["t1"]).status_code == 302
    assert clients["t1"].get(reverse("securemail:compose")).status_code == 200


def test_the_unlocked_key_needs_both_the_session_and_the_cookie_and_expires(clients, settings):
    client = clients["t1"]
    unlock(client)
    assert client.get(reverse("securemail:compose")).status_code == 200
    stored = client.session[session.SESSION_KEY]
    assert PASS not in str(stored)
    cookie = client.cookies.pop(session.COOKIE)
    assert client.get(reverse("securemail:compose")).status_code == 302
    client.cookies[session.COOKIE] = cookie.value
    assert client.get(reverse("securemail:compose")).status_code == 200
    s = client.session
    s[session.SESSION_KEY] = {**stored, "until": int(time.time()) - 1}
    s.save()
    assert client.get(reverse("securemail:compose")).status_code == 302


def test_compose_read_and_a_fourth_unit_cannot(clients, network):
    unlock(clients["t1"])
    response = compose(clients["t1"], network)
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("securemail:read", args=[message.pk])
    for key in ("d1", "d2", "d3"):
        unlock(clients[key])
        page = clients[key].get(reverse("securemail:read", args=[message.pk])).content.decode()
        assert "关于报送党建材料的通知" in page and "材料清单.txt" in page
        download = clients[key].get(reverse("securemail:attachment", args=[message.pk, 0]))
        assert b"".join(download.streaming_content).decode() == "一、组织生活会记录"
    unlock(clients["d4"])
    assert clients["d4"].get(reverse("securemail:read", args=[message.pk])).status_code == 404
    assert clients["d4"].get(reverse("securemail:attachment", args=[message.pk, 0])).status_code == 404
    assert Recipient.objects.filter(read_at__isnull=False).count() == 3


def test_declared_cadre_appointment_is_refused_and_words_warn(clients, network):
    unlock(clients["t1"])
    refused = compose(clients["t1"], network, category="cadre_appointment")
    assert refused.status_code == 200 and "干部任免" in refused.content.decode()
    warned = compose(clients["t1"], network, subject="关于李四同志免职的通知")
    assert warned.status_code == 200 and "免职" in warned.content.decode()
    assert not Message.objects.exists()
    confirmed = compose(clients["t1"], network, subject="关于李四同志免职的通知", confirm_not_appointment="on")
    assert confirmed.status_code == 302 and Message.objects.count() == 1


def test_archive_is_searched_by_metadata(clients, network):
    unlock(clients["t1"])
    compose(clients["t1"], network)
    compose(clients["t1"], network, category="report", doc_number="会文发〔2026〕6号")
    page = clients["d1"].get(reverse("securemail:archive"), {"category": "report"}).content.decode()
    assert "〔2026〕6号" in page and "〔2026〕5号" not in page
    page = clients["d1"].get(reverse("securemail:archive"), {"doc_number": "5号", "sender": "文武坝"}).content.decode()
    assert "〔2026〕5号" in page and "〔2026〕6号" not in page
    assert "〔2026〕5号" not in clients["d4"].get(reverse("securemail:archive")).content.decode()


def test_inbox_lists_with_a_fixed_number_of_queries(clients, network, django_assert_max_num_queries):
    unlock(clients["t1"])
    for i in range(3):
        compose(clients["t1"], network, doc_number=f"会文发〔2026〕{i + 10}号")
    with django_assert_max_num_queries(12):
        response = clients["d1"].get(reverse("securemail:inbox"))
    assert response.content.decode().count("会文发〔2026〕1") == 3


def test_a_recipient_refiles_a_document_under_another_category(clients, network):
    unlock(clients["t1"])
    compose(clients["t1"], network)
    message = Message.objects.get()
    response = clients["d1"].post(reverse("securemail:refile", args=[message.pk]), {"category": "minutes"})
    assert response.status_code == 302
    assert Recipient.objects.get(unit=network.units["d1"]).archive_category == "minutes"
    assert Recipient.objects.get(unit=network.units["d2"]).archive_category == "notice"
    bad = clients["d1"].post(reverse("securemail:refile", args=[message.pk]), {"category": "cadre_appointment"})
    assert bad.status_code == 302 and Recipient.objects.get(unit=network.units["d1"]).archive_category == "minutes"
    assert (
        clients["d4"].post(reverse("securemail:refile", args=[message.pk]), {"category": "report"}).status_code == 404
    )
