"""The providers' pushes: Aliyun's SmsReport and SmsUp, Tencent Cloud's status and reply callbacks, posted to the
public, token-checked URLs with the payloads the providers document (see dangjian/services/sms/callbacks.py)."""

import json
import logging

import pytest
from django.urls import reverse

from dangjian.services.sms import audience, callbacks, dispatch
from dangjian.services.sms.gateways import Result
from dangjian.services.sms.models import Inbound, Message, MessageState, OptOut

pytestmark = pytest.mark.django_db
TOKENS = {"aliyun": "aliyun-token-0123456789abcdef", "tencent": "tencent-token-0123456789abcdef"}
BIZ_ID = "900619746936498440^0"


@pytest.fixture(autouse=True)
def _tokens(settings):
    settings.DANGJIAN_ALIYUN_CALLBACK_TOKEN = TOKENS["aliyun"]
    settings.DANGJIAN_TENCENT_CALLBACK_TOKEN = TOKENS["tencent"]


def sent(gateway: str, mobile: str, gateway_id: str) -> Message:
    """A message the provider accepted: claimed, then answered with its id, as the sender records it."""
    m = Message.objects.create(
        mobile=mobile, body="【会昌组工】明天开会", gateway=gateway, state=MessageState.SUBMITTING
    )
    dispatch.record(gateway, [Result(m.pk, [gateway_id])])
    return m


def push(client, provider: str, kind: str, payload, token: str | None = None):
    url = reverse(f"sms_callback:{provider}_{kind}", kwargs={"token": token or TOKENS[provider]})
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload, ensure_ascii=False)
    return client.post(url, body, content_type="application/json")


def aliyun_report(mobile="13800000001", success=True, err_code="DELIVERED"):
    # The request sample of Aliyun's SmsReport document, with our number and BizId.
    return [
        {
            "phone_number": mobile,
            "send_time": "2026-11-27 09:00:00",
            "report_time": "2026-11-27 09:00:05",
            "success": success,
            "err_code": err_code,
            "err_msg": "用户接收成功" if success else "用户接收失败",
            "sms_size": "1",
            "biz_id": BIZ_ID,
            "out_id": "",
        }
    ]


def tencent_report(sid="s-13800000001", status="SUCCESS"):
    # The request sample of Tencent Cloud's 短信下发状态通知 document.
    return [
        {
            "user_receive_time": "2026-11-27 09:00:05",
            "nationcode": "86",
            "mobile": "13800000001",
            "report_status": status,
            "errmsg": "DELIVRD" if status == "SUCCESS" else "MK:0001",
            "description": "用户短信送达成功" if status == "SUCCESS" else "用户短信接收失败",
            "sid": sid,
        }
    ]


def aliyun_reply(text: str, sequence_id: int = 1234567890):
    # The request sample of Aliyun's SmsUp document.
    return [
        {
            "phone_number": "13800000001",
            "send_time": "2026-11-27 09:10:00",
            "content": text,
            "sign_name": "会昌组工",
            "dest_code": "1234",
            "sequence_id": sequence_id,
        }
    ]


def tencent_reply(text: str):
    # The request sample of Tencent Cloud's 短信回复 document: one object, not an array.
    return {
        "extend": "",
        "mobile": "13800000001",
        "nationcode": "86",
        "sign": "会昌组工",
        "text": text,
        "time": 1795741800,
    }


def test_an_aliyun_report_marks_the_message_delivered_and_is_answered_as_aliyun_asks(client):
    m = sent("aliyun", "13800000001", f"{BIZ_ID}:13800000001")
    r = push(client, "aliyun", "report", aliyun_report())
    assert r.status_code == 200 and r.json() == {"code": 0, "msg": "接收成功"}
    m.refresh_from_db()
    assert (m.state, m.parts_done) == (MessageState.DELIVERED, 1) and m.done_at is not None


def test_an_aliyun_failure_report_keeps_its_reason(client):
    m = sent("aliyun", "13800000001", f"{BIZ_ID}:13800000001")
    push(client, "aliyun", "report", aliyun_report(success=False, err_code="MOBILE_NOT_ON_SERVICE"))
    m.refresh_from_db()
    assert (m.state, m.error) == (MessageState.FAILED, "MOBILE_NOT_ON_SERVICE")


def test_a_tencent_status_callback_marks_the_message_and_is_answered_as_tencent_asks(client):
    ok = sent("tencent", "13800000001", "s-13800000001")
    bad = sent("tencent", "13800000002", "s-13800000002")
    r = push(client, "tencent", "report", [*tencent_report(), *tencent_report("s-13800000002", "FAIL")])
    assert r.status_code == 200 and r.json() == {"result": 0, "errmsg": "OK"}
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.state, bad.state, bad.error) == (MessageState.DELIVERED, MessageState.FAILED, "用户短信接收失败")


@pytest.mark.parametrize("provider", ["aliyun", "tencent"])
def test_a_wrong_token_is_refused_and_changes_nothing(client, provider):
    m = sent(provider, "13800000001", f"{BIZ_ID}:13800000001" if provider == "aliyun" else "s-13800000001")
    report = aliyun_report() if provider == "aliyun" else tencent_report()
    other = "tencent" if provider == "aliyun" else "aliyun"
    for token in ("wrong-token-0123456789abcdef", TOKENS[provider][:-1], TOKENS[other]):
        assert push(client, provider, "report", report, token=token).status_code == 403
    assert push(client, provider, "reply", aliyun_reply("退订"), token="x").status_code == 403
    m.refresh_from_db()
    assert m.state == MessageState.SUBMITTED and not OptOut.objects.exists() and not Inbound.objects.exists()


def test_without_a_configured_token_every_push_is_refused(client, settings):
    m = sent("aliyun", "13800000001", f"{BIZ_ID}:13800000001")
    settings.DANGJIAN_ALIYUN_CALLBACK_TOKEN = ""
    assert push(client, "aliyun", "report", aliyun_report(), token="anything-at-all-long").status_code == 403
    settings.DANGJIAN_ALIYUN_CALLBACK_TOKEN = "short"  # too short to be a secret: as good as none
    assert push(client, "aliyun", "report", aliyun_report(), token="short").status_code == 403
    # No token in the path at all: no such address.
    assert client.post("/sms/callback/aliyun/report/", "[]", content_type="application/json").status_code == 404
    m.refresh_from_db()
    assert m.state == MessageState.SUBMITTED


def test_the_refusal_is_logged_without_the_token(client, caplog):
    with caplog.at_level(logging.WARNING):
        push(client, "aliyun", "report", "{not json")
        push(client, "aliyun", "report", [], token="guessed-token-0123456789")
    assert "push refused" in caplog.text
    assert TOKENS["aliyun"] not in caplog.text and "guessed-token" not in caplog.text


@pytest.mark.parametrize(
    "body", ["{not json", b"\xff\xfe[]", '{"phone_number": ', "[1, 2]", '"text"', "[[]]"], ids=repr
)
def test_a_body_that_is_not_the_documented_json_is_400_and_stores_nothing(client, body):
    m = sent("aliyun", "13800000001", f"{BIZ_ID}:13800000001")
    for kind in ("report", "reply"):
        r = push(client, "aliyun", kind, body)
        assert r.status_code == 400 and r.json()["code"] != 0
    m.refresh_from_db()
    assert m.state == MessageState.SUBMITTED and not Inbound.objects.exists()


def test_only_post_and_only_a_bounded_body(client):
    url = reverse("sms_callback:tencent_report", kwargs={"token": TOKENS["tencent"]})
    r = client.get(url)
    assert (r.status_code, r["Allow"]) == (405, "POST")
    big = json.dumps(tencent_report() * (callbacks.MAX_BODY // 200))
    assert push(client, "tencent", "report", big).status_code == 413


def test_the_same_report_twice_changes_nothing_the_second_time(client):
    m = sent("aliyun", "13800000001", f"{BIZ_ID}:13800000001")
    push(client, "aliyun", "report", aliyun_report())
    m.refresh_from_db()
    first = (m.state, m.parts_done, m.error, m.done_at)
    # Pushed again (Aliyun retries, and does not promise one push per report), and a contradicting one after it.
    assert push(client, "aliyun", "report", aliyun_report()).json()["code"] == 0
    push(client, "aliyun", "report", aliyun_report(success=False, err_code="LATE"))
    m.refresh_from_db()
    assert (m.state, m.parts_done, m.error, m.done_at) == first


def test_a_report_for_an_unknown_message_is_acknowledged_and_logged(client, caplog):
    m = sent("tencent", "13800000001", "s-13800000001")
    with caplog.at_level(logging.INFO):
        r = push(client, "tencent", "report", tencent_report("s-never-sent"))
    assert r.status_code == 200 and r.json()["result"] == 0
    assert "s-never-sent" in caplog.text
    m.refresh_from_db()
    assert m.state == MessageState.SUBMITTED


def test_a_report_that_comes_before_the_senders_answer_is_stored_is_kept(client):
    # The provider's push can beat the sender's commit of SendSms's answer: the report settles the row (in doubt,
    # matched by its number), and the answer recorded after it does not turn it back into "submitted".
    m = Message.objects.create(mobile="13800000001", body="x", gateway="aliyun", state=MessageState.SUBMITTING)
    push(client, "aliyun", "report", aliyun_report())
    dispatch.record("aliyun", [Result(m.pk, [f"{BIZ_ID}:13800000001"])])
    m.refresh_from_db()
    assert m.state == MessageState.DELIVERED


@pytest.mark.parametrize(("provider", "payload"), [("aliyun", aliyun_reply("退订")), ("tencent", tencent_reply("TD"))])
def test_an_opt_out_reply_opts_the_member_out(client, make_person, branches, provider, payload):
    make_person("王芳", branches["b1"], phone="13800000001")
    make_person("李强", branches["b1"], phone="13800000002")
    everyone = {"unit": branches["county"].pk}
    assert audience.count(everyone).sendable(mandatory=False) == 2
    r = push(client, provider, "reply", payload)
    assert r.status_code == 200 and r.json() == callbacks.PROVIDERS[provider].ok
    assert OptOut.objects.filter(mobile="13800000001", source="reply").exists()
    assert Inbound.objects.get().kind == "optout"
    assert audience.count(everyone).sendable(mandatory=False) == 1


@pytest.mark.parametrize(
    ("provider", "payload"), [("aliyun", aliyun_reply("收到")), ("tencent", tencent_reply("收到"))]
)
def test_a_reply_pushed_twice_is_stored_once(client, provider, payload):
    push(client, provider, "reply", payload)
    push(client, provider, "reply", payload)
    assert list(Inbound.objects.values_list("mobile", "text", "kind", "gateway")) == [
        ("13800000001", "收到", "reply", provider)
    ]


def test_replies_with_different_ids_are_each_stored(client):
    push(client, "aliyun", "reply", [*aliyun_reply("收到", 1), *aliyun_reply("收到", 2)])
    assert Inbound.objects.count() == 2
