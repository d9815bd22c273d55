"""The letters' JSON API: the contract of issue 3 (201 with the receipt and the due dates; lookup by receipt),
errors as JSON with a message per field, and hostile input that stores nothing and never answers 500."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.supervision import actions
from dangjian.supervision.models import Letter, RatingValue, Source
from tests.supervision.conftest import MONDAY

URL = "/api/v1/letters"
LOOKUP = "/api/v1/letters/lookup"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()


def post(client, url, data, **extra):
    # ASCII JSON: any string, lone surrogates too, travels as \u escapes, the way a hostile client can send it.
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    return client.post(url, body, content_type="application/json", **extra)


def test_a_letter_by_the_api_answers_201_with_the_receipt_and_iso_due_dates(client, channels):
    response = post(
        client, URL, {"channel": "voice", "title": "村道路灯损坏", "body": "上坑村路灯坏了。", "anonymous": True}
    )
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"receipt", "status", "first_response_due", "result_due"} and data["status"] == "received"
    letter = Letter.objects.get()
    assert letter.source == Source.API and letter.is_anonymous
    assert actions.letter_for_receipt(data["receipt"]) == letter
    first, result = datetime.fromisoformat(data["first_response_due"]), datetime.fromisoformat(data["result_due"])
    assert first == letter.first_response_due and result == letter.result_due
    assert first.utcoffset().total_seconds() == 8 * 3600  # local time of Huichang, with its offset


def test_errors_are_json_with_a_message_per_field_in_the_callers_language(client, channels):
    response = post(client, URL, {"channel": "voice", "title": "", "body": "内容", "anonymous": False})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["title"] == ["请填写标题。"]  # zh-Hans by default, the form's own message
    assert "contact_name" in errors and "contact_phone" in errors
    english = post(client, URL, {"channel": "voice", "title": "", "body": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["errors"]["title"] == ["The title is required."]
    assert not Letter.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "__all__"),
        (b"[1, 2]", "__all__"),
        (b"\xff\xfe", "__all__"),
        ({"title": "无渠道", "body": "x"}, "channel"),
        ({"channel": "voice", "title": 5, "body": "x"}, "title"),
        ({"channel": "voice", "title": "t", "body": "x", "anonymous": "perhaps"}, "anonymous"),
        ({"channel": "nowhere", "title": "t", "body": "x", "anonymous": True}, "channel"),
        ({"channel": "voice", "title": "t", "body": "x", "anonymous": True, "township": "XX"}, "township"),
        ({"channel": "voice", "title": "t", "body": "x", "anonymous": True, "category": "bribe"}, "category"),
    ],
)
def test_malformed_bodies_get_a_field_message_and_store_nothing(client, channels, body, field):
    response = post(client, URL, body)
    assert response.status_code == 400 and field in response.json()["errors"]
    assert not Letter.objects.exists()


def test_lone_surrogates_in_json_escapes_are_a_field_error_not_a_500(client, channels):
    response = post(client, URL, '{"channel": "voice", "title": "a\\ud800b", "body": "x", "anonymous": true}')
    assert response.status_code == 400 and list(response.json()["errors"]) == ["title"]
    assert post(client, LOOKUP, '{"receipt": "\\udfff"}').status_code == 400
    assert not Letter.objects.exists()


def test_the_api_shares_the_forms_limit_per_address(client, channels):
    statuses = [
        post(client, URL, {"channel": "voice", "title": f"第{n}封", "body": f"内容{n}", "anonymous": True}).status_code
        for n in range(11)
    ]
    assert statuses == [201] * 10 + [429]
    assert Letter.objects.count() == 10


def test_a_confidential_channel_by_the_api_is_sealed(client, channels, keys):
    response = post(client, URL, {"channel": "supervision", "title": "反映问题", "body": "举报内容很敏感。",
                                  "contact_name": "李秀英", "contact_phone": "13907971234"})  # fmt: skip
    assert response.status_code == 201
    letter = Letter.objects.get()
    assert letter.is_sealed and letter.body == "" and letter.contact_phone == ""


def test_lookup_answers_the_public_view_of_the_letter(client, dispatched, people):
    sub = dispatched(anonymous=False, contact_name="刘建华", contact_phone="13907970000")
    actions.post_follow_up(actor=people["responder"], letter=sub.letter, body="已联系刘建华核实。")
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已维修。")
    actions.sign_off_result(actor=people["head"], result=result)
    actions.rate_letter(receipt=sub.receipt, value=RatingValue.SATISFIED)
    response = post(client, LOOKUP, {"receipt": sub.receipt.lower()})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "closed" and data["unit"] == "文武坝镇" and data["rating"] == "satisfied"
    assert [f["unit"] for f in data["follow_ups"]] == ["文武坝镇"]
    assert "刘建华" not in data["follow_ups"][0]["body"]  # masked as on the public page
    assert data["result"]["body"] == "已维修。" and data["result"]["unit"] == "文武坝镇"
    assert datetime.fromisoformat(data["received_at"]) == MONDAY


def test_lookup_of_an_unknown_or_malformed_receipt_is_a_field_error(client, channels):
    assert post(client, LOOKUP, {"receipt": "AAAA-BBBB-CCCC-DDDD"}).json()["errors"]["receipt"]
    assert post(client, LOOKUP, {"receipt": "AAAA-BBBB-CCCC-DDDD"}).status_code == 404
    assert post(client, LOOKUP, {}).status_code == 400
    assert post(client, LOOKUP, {"receipt": ["x"]}).status_code == 400


def test_an_oversized_body_is_refused_with_413(client, channels, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post(client, URL, {"channel": "voice", "title": "t", "body": "长" * 2000, "anonymous": True})
    assert response.status_code == 413 and response.json()["errors"]["__all__"]
    assert not Letter.objects.exists()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
FIELDS = ["channel", "title", "body", "anonymous", "contact_name", "contact_phone", "contact_email", "category",
          "township", "is_public"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.dictionaries(st.sampled_from(FIELDS), json_values | st.text(alphabet=st.characters(), max_size=300)),
    channel=st.sampled_from(["voice", "supervision", "", "../x"]),
)
def test_hostile_payloads_never_answer_500_and_a_refused_letter_stores_nothing(client, channels, payload, channel):
    cache.clear()
    payload.setdefault("channel", channel)
    before = Letter.objects.count()
    response = post(client, URL, payload)
    assert response.status_code in (201, 400), response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 400:
        assert response.json()["errors"] and Letter.objects.count() == before
    else:
        assert Letter.objects.count() == before + 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_arbitrary_bytes_never_answer_500(client, channels, raw):
    cache.clear()
    response = post(client, URL, raw)
    assert response.status_code in (201, 400)
    response = post(client, LOOKUP, raw)
    assert response.status_code in (400, 404)
