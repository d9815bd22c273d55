"""The Aliyun and Tencent Cloud adapters against a local fake provider that checks each request's signature as the
providers' published documents define it."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dangjian.services.sms import dispatch
from dangjian.services.sms.gateways import Outgoing, make_gateway
from dangjian.services.sms.gateways.http import aliyun_signature
from dangjian.services.sms.models import Message, MessageState

ALIYUN_SECRET = "aliyun-secret"
TENCENT_KEY = "tencent-key"


def test_aliyun_signature_matches_the_worked_example_in_aliyuns_documentation():
    # The example request of Aliyun's SMS API signature document (GET, testId / testSecret).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def tc3_expected(headers, body: bytes) -> str:
    """TC3-HMAC-SHA256 computed step by step as Tencent Cloud's "Signature v3" document lists them."""
    ts = int(headers["X-TC-Timestamp"])
    day = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
    action = headers["X-TC-Action"].lower()
    canonical_headers = f"content-type:{headers['Content-Type']}\nhost:{headers['Host']}\nx-tc-action:{action}\n"
    creq = f"POST\n/\n\n{canonical_headers}\ncontent-type;host;x-tc-action\n{hashlib.sha256(body).hexdigest()}"
    sts = f"TC3-HMAC-SHA256\n{ts}\n{day}/sms/tc3_request\n{hashlib.sha256(creq.encode()).hexdigest()}"
    k = hmac.new(("TC3" + TENCENT_KEY).encode(), day.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"sms", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


class FakeProvider(BaseHTTPRequestHandler):
    requests: list = []

    def log_message(self, *args):
        pass

    def answer(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers["Content-Type"].startswith("application/x-www-form-urlencoded"):
            params = dict(urllib.parse.parse_qsl(body.decode()))
            signature = params.pop("Signature")
            canonical = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote, safe="-_.~")
            to_sign = "POST&%2F&" + urllib.parse.quote(canonical, safe="-_.~")
            good = base64.b64encode(hmac.new(f"{ALIYUN_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest())
            self.requests.append(("aliyun", params))
            if signature != good.decode():
                return self.answer({"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
            if "13900000000" in params["PhoneNumbers"]:
                return self.answer({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"})
            return self.answer({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"})
        payload = json.loads(body)
        action = self.headers["X-TC-Action"]
        self.requests.append(("tencent", action, payload))
        if not self.headers["Authorization"].endswith("Signature=" + tc3_expected(self.headers, body)):
            return self.answer({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}}})
        if action == "PullSmsSendStatus":
            reports = [{"SerialNo": "s-13800000001", "ReportStatus": "SUCCESS", "Description": "DELIVRD"}]
            return self.answer({"Response": {"PullSmsSendStatusSet": reports, "RequestId": "r3"}})
        statuses = [
            {"SerialNo": f"s-{p[3:]}", "PhoneNumber": p, "Code": "Ok", "Message": "send success"}
            for p in payload["PhoneNumberSet"]
        ]
        return self.answer({"Response": {"SendStatusSet": statuses, "RequestId": "r2"}})


@pytest.fixture
def provider(monkeypatch):
    FakeProvider.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    for key, value in {
        "DANGJIAN_ALIYUN_ACCESS_KEY_ID": "ak",
        "DANGJIAN_ALIYUN_ACCESS_KEY_SECRET": ALIYUN_SECRET,
        "DANGJIAN_ALIYUN_SIGN_NAME": "会昌组工",
        "DANGJIAN_ALIYUN_TEMPLATE_CODE": "SMS_1",
        "DANGJIAN_ALIYUN_ENDPOINT": url,
        "DANGJIAN_TENCENT_SECRET_ID": "sid",
        "DANGJIAN_TENCENT_SECRET_KEY": TENCENT_KEY,
        "DANGJIAN_TENCENT_SDK_APP_ID": "1400000000",
        "DANGJIAN_TENCENT_SIGN_NAME": "会昌组工",
        "DANGJIAN_TENCENT_TEMPLATE_ID": "449739",
        "DANGJIAN_TENCENT_ENDPOINT": url,
    }.items():
        monkeypatch.setenv(key, value)
    yield FakeProvider.requests
    server.shutdown()


def test_aliyun_sends_the_text_in_the_template_without_our_signature_and_groups_numbers(provider):
    gateway = make_gateway("aliyun")
    batch = [Outgoing(i, f"1380000000{i}", "【会昌组工】明天开会") for i in range(3)]
    results = gateway.submit([*batch, Outgoing(9, "13900000000", "【会昌组工】另一条")])
    assert [r.ids for r in results[:3]] == [[f"900619746936498440^0:1380000000{i}"] for i in range(3)]
    assert results[3].error.startswith("isv.BUSINESS_LIMIT_CONTROL") and not results[3].retry
    first = provider[0][1]
    assert first["PhoneNumbers"] == "13800000000,13800000001,13800000002"
    assert json.loads(first["TemplateParam"]) == {"content": "明天开会"}
    assert first["SignName"] == "会昌组工"


def test_aliyun_refuses_a_wrong_secret(provider, monkeypatch):
    monkeypatch.setenv("DANGJIAN_ALIYUN_ACCESS_KEY_SECRET", "wrong")
    [result] = make_gateway("aliyun").submit([Outgoing(1, "13800000001", "x")])
    assert result.error.startswith("SignatureDoesNotMatch")


def test_tencent_batches_at_most_200_numbers_and_pulls_delivery_reports(provider, db):
    gateway = make_gateway("tencent")
    batch = [Outgoing(i, f"138{i:08d}", "【会昌组工】明天开会") for i in range(450)]
    results = gateway.submit(batch)
    sends = [r for r in provider if r[1] == "SendSms"]
    assert [len(r[2]["PhoneNumberSet"]) for r in sends] == [200, 200, 50]
    assert sends[0][2]["TemplateParamSet"] == ["明天开会"]
    assert [r.ids for r in results] == [[f"s-138{i:08d}"] for i in range(450)]
    m = Message.objects.create(mobile="13800000001", body="x", parts=2, gateway="tencent")
    dispatch.record("tencent", [type(results[1])(m.pk, ["s-13800000001"])])
    dispatch.handle(gateway, gateway.poll())
    m.refresh_from_db()
    assert (m.state, m.parts_done) == (MessageState.DELIVERED, 2)


def test_an_unreachable_provider_leaves_the_batch_in_doubt(monkeypatch):
    monkeypatch.setenv("DANGJIAN_TENCENT_ENDPOINT", "http://127.0.0.1:9/")
    for key in ("SECRET_ID", "SECRET_KEY", "SDK_APP_ID", "SIGN_NAME", "TEMPLATE_ID"):
        monkeypatch.setenv(f"DANGJIAN_TENCENT_{key}", "x")
    [result] = make_gateway("tencent").submit([Outgoing(1, "13800000001", "x")])
    assert result.doubt and not result.ids
