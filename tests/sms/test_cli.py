"""The operators' contract: `dangjian sms send --to … --text …` through the gateway named in DANGJIAN_SMS_BACKEND."""

import io

import pytest
from django.core.management import CommandError, call_command

from dangjian.services.sms.models import Message, MessageState

pytestmark = pytest.mark.django_db(transaction=True)


def send(*args: str) -> str:
    out = io.StringIO()
    call_command("sms", "send", *args, stdout=out)
    return out.getvalue()


def test_send_prints_the_smscs_message_id_of_every_part_and_the_receipts(smsc):
    out = send("--to", "13800138000", "--text", "会" * 100, "--wait", "5")
    ids = [p["id"] for p in smsc.wait_for_parts(2)]
    assert len(ids) == 2
    lines = out.splitlines()
    assert lines[:2] == [f"1/2 {ids[0]}", f"2/2 {ids[1]}"]
    assert {f"{i} delivered" for i in ids} <= set(lines)
    m = Message.objects.get()
    assert (m.state, m.gateway, m.gateway_id, m.parts_done) == (MessageState.DELIVERED, "smpp", ids[0], 2)


def test_send_through_the_console_gateway_by_default(monkeypatch):
    monkeypatch.delenv("DANGJIAN_SMS_BACKEND", raising=False)
    out = send("--to", "+86 138 0013 8000", "--text", "hello", "--wait", "1")
    assert out.startswith("1/1 console-")
    assert Message.objects.get().mobile == "13800138000"


@pytest.mark.parametrize(
    ("env", "args", "error"),
    [
        ({}, ("--to", "12345", "--text", "x"), "not a mainland mobile"),
        ({"DANGJIAN_SMS_BACKEND": "pigeon"}, ("--to", "13800138000", "--text", "x"), "DANGJIAN_SMS_BACKEND"),
        ({"DANGJIAN_SMS_BACKEND": "smpp"}, ("--to", "13800138000", "--text", "x"), "DANGJIAN_SMPP_HOST"),
    ],
)
def test_send_refuses_bad_input_with_a_clear_error(monkeypatch, env, args, error):
    monkeypatch.delenv("DANGJIAN_SMPP_HOST", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(CommandError, match=error):
        send(*args)
    assert not Message.objects.exists()


def test_send_to_an_smsc_that_is_down_fails_after_the_retries(smsc, monkeypatch):
    monkeypatch.setenv("DANGJIAN_SMPP_RETRIES", "1")
    smsc.stop()
    with pytest.raises(CommandError, match="SMSC"):
        send("--to", "13800138000", "--text", "x")
