"""The HTTP gateways of the cloud SMS providers: Aliyun (dysmsapi 2017-05-25, RPC signature V1 with HMAC-SHA1) and
Tencent Cloud (sms 2021-01-11, API 3.0 signature TC3-HMAC-SHA256).

Both send only registered templates under a registered signature (签名): the message text goes into the template's
one variable (DANGJIAN_ALIYUN_TEMPLATE_PARAM / the first Tencent template parameter) and our 【signature】 prefix is
taken off, since the provider adds the registered one. A batch is grouped by identical text, and each request
carries at most the provider's limit of numbers (Aliyun SendSms: 1000; Tencent SendSms: 200).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from datetime import UTC, datetime

from django.core.exceptions import ImproperlyConfigured

from dangjian.services.sms.gateways.base import Gateway, GatewayError, InboundText, Outgoing, Receipt, Result

logger = logging.getLogger(__name__)
SIGNATURE_PREFIX = re.compile(r"^【[^】]{1,20}】")


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> dict:
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"the SMS provider's endpoint must be an http(s) URL, not {url!r}")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as exc:
        try:
            return json.loads(exc.read().decode())
        except ValueError:
            raise GatewayError(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise GatewayError(str(exc)) from exc


class HttpGateway(Gateway):
    limit = 100
    batch_size = 1000

    def __init__(self, *, endpoint: str, timeout: float, rate: float) -> None:
        self.endpoint, self.timeout, self.rate = endpoint.rstrip("/") + "/", timeout, rate

    def submit(self, batch: list[Outgoing]) -> list[Result]:
        groups: dict[str, list[Outgoing]] = defaultdict(list)
        for m in batch:
            groups[SIGNATURE_PREFIX.sub("", m.text)].append(m)
        results = []
        for text, messages in groups.items():
            for i in range(0, len(messages), self.limit):
                chunk = messages[i : i + self.limit]
                try:
                    results += self.send(text, chunk)
                except GatewayError as exc:
                    # No answer: the provider may or may not have taken the request.
                    logger.warning("%s: %s", self.name, exc)
                    results += [Result(m.key, doubt=True) for m in chunk]
        return results

    def send(self, text: str, chunk: list[Outgoing]) -> list[Result]:
        raise NotImplementedError


# --- Aliyun ------------------------------------------------------------------------------------------------------


def aliyun_quote(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's RPC signature requires (UTF-8; space as %20, * as %2A, ~ kept)."""
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """Aliyun RPC signature V1: HMAC-SHA1 over METHOD&%2F&quote(sorted query), key = secret + "&", Base64."""
    canonical = "&".join(f"{aliyun_quote(k)}={aliyun_quote(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{aliyun_quote('/')}&{aliyun_quote(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class AliyunGateway(HttpGateway):
    name = "aliyun"
    limit = 1000

    def __init__(self, *, key_id: str, secret: str, sign_name: str, template: str, param: str, **kw) -> None:
        super().__init__(**kw)
        self.key_id, self.secret, self.sign_name, self.template, self.param = key_id, secret, sign_name, template, param

    def send(self, text: str, chunk: list[Outgoing]) -> list[Result]:
        params = {
            "AccessKeyId": self.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": ",".join(m.mobile for m in chunk),
            "SignName": self.sign_name,
            "TemplateCode": self.template,
            "TemplateParam": json.dumps({self.param: text}, ensure_ascii=False),
        }
        params["Signature"] = aliyun_signature(params, self.secret)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = _post(self.endpoint, urllib.parse.urlencode(params).encode(), headers, self.timeout)
        if answer.get("Code") != "OK":
            error = f"{answer.get('Code', '?')}: {answer.get('Message', '')}"[:100]
            return [Result(m.key, error=error) for m in chunk]
        biz = answer["BizId"]
        return [Result(m.key, [f"{biz}:{m.mobile}"]) for m in chunk]


def aliyun_report(items: list[dict]) -> list[Receipt]:
    """Aliyun's status report (SmsReport, pushed by HTTP): one receipt per number, the whole message at once."""
    out = []
    for item in items:
        mobile = str(item.get("phone_number", ""))
        gid = f"{item.get('biz_id', '')}:{mobile}"
        ok = item.get("success") in (True, "true")
        reason = "" if ok else str(item.get("err_code", ""))[:100]
        out.append(Receipt(gid, "delivered" if ok else "failed", reason, mobile=mobile, whole=True))
    return out


def aliyun_replies(items: list[dict]) -> list[InboundText]:
    """Aliyun's upstream messages (SmsUp, pushed by HTTP); `sequence_id` is the message's own number."""
    return [
        InboundText(str(item.get("phone_number", "")), str(item.get("content", "")), str(item.get("sequence_id", "")))
        for item in items
    ]


# --- Tencent Cloud -----------------------------------------------------------------------------------------------


def tc3_authorization(
    *, secret_id: str, secret_key: str, service: str, host: str, action: str, payload: bytes, timestamp: int
) -> str:
    """Tencent Cloud API 3.0 signature (TC3-HMAC-SHA256) of a JSON POST to `/`."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host;x-tc-action"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:application/json; charset=utf-8\nhost:{host}\nx-tc-action:{action.lower()}\n",
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{day}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(f"TC3{secret_key}".encode(), day), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


class TencentGateway(HttpGateway):
    name = "tencent"
    limit = 200

    def __init__(
        self, *, secret_id: str, secret_key: str, app_id: str, sign_name: str, template: str, region: str, **kw
    ) -> None:
        super().__init__(**kw)
        self.secret_id, self.secret_key, self.app_id = secret_id, secret_key, app_id
        self.sign_name, self.template, self.region = sign_name, template, region
        self.host = urllib.parse.urlsplit(self.endpoint).netloc

    def call(self, action: str, body: dict) -> dict:
        payload = json.dumps(body, ensure_ascii=False).encode()
        now = int(time.time())
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(now),
            "X-TC-Region": self.region,
            "Authorization": tc3_authorization(
                secret_id=self.secret_id,
                secret_key=self.secret_key,
                service="sms",
                host=self.host,
                action=action,
                payload=payload,
                timestamp=now,
            ),
        }
        return _post(self.endpoint, payload, headers, self.timeout).get("Response", {})

    def send(self, text: str, chunk: list[Outgoing]) -> list[Result]:
        answer = self.call(
            "SendSms",
            {
                "PhoneNumberSet": [f"+86{m.mobile}" for m in chunk],
                "SmsSdkAppId": self.app_id,
                "SignName": self.sign_name,
                "TemplateId": self.template,
                "TemplateParamSet": [text],
            },
        )
        if "Error" in answer:
            error = f"{answer['Error'].get('Code', '?')}: {answer['Error'].get('Message', '')}"[:100]
            return [Result(m.key, error=error) for m in chunk]
        status = {s.get("PhoneNumber", "").removeprefix("+86"): s for s in answer.get("SendStatusSet", [])}
        out = []
        for m in chunk:
            s = status.get(m.mobile, {})
            if s.get("Code") == "Ok":
                out.append(Result(m.key, [s["SerialNo"]]))
            else:
                out.append(Result(m.key, error=f"{s.get('Code', 'missing')}: {s.get('Message', '')}"[:100]))
        return out

    def poll(self, timeout: float = 0) -> list:
        """PullSmsSendStatus: the delivery reports not yet pulled (the whole message per report)."""
        try:
            answer = self.call("PullSmsSendStatus", {"Limit": 100, "SmsSdkAppId": self.app_id})
        except GatewayError as exc:
            logger.warning("tencent: %s", exc)
            return []
        return tencent_report(answer.get("PullSmsSendStatusSet", []))


def tencent_report(items: list[dict]) -> list[Receipt]:
    """Delivery reports as PullSmsSendStatus returns them (SerialNo, PhoneNumber "+86…") or as the status callback
    pushes them (sid, mobile with a separate nationcode)."""
    out = []
    for item in items:
        ok = str(item.get("ReportStatus", item.get("report_status", ""))).upper() == "SUCCESS"
        gid = str(item.get("SerialNo", item.get("sid", "")))
        mobile = str(item.get("PhoneNumber", item.get("mobile", ""))).removeprefix("+86")
        reason = "" if ok else str(item.get("Description", item.get("description", "")))[:100]
        out.append(Receipt(gid, "delivered" if ok else "failed", reason, mobile=mobile, whole=True))
    return out


def tencent_replies(items: list[dict]) -> list[InboundText]:
    """Tencent Cloud's reply callback: it carries no message id, so the number, the time and the text make one (a
    repeated push of the same reply is the same reply)."""
    out = []
    for item in items:
        mobile, text = str(item.get("mobile", "")), str(item.get("text", ""))
        if str(item.get("nationcode", "86")) != "86":
            mobile = f"+{item['nationcode']}{mobile}"
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        out.append(InboundText(mobile, text, f"{mobile}:{item.get('time', '')}:{digest}"))
    return out


def make(name: str, env, number) -> Gateway:
    def need(var: str) -> str:
        value = env(var)
        if not value:
            raise ImproperlyConfigured(f"{var} is not set")
        return value

    if name == "aliyun":
        return AliyunGateway(
            key_id=need("DANGJIAN_ALIYUN_ACCESS_KEY_ID"),
            secret=need("DANGJIAN_ALIYUN_ACCESS_KEY_SECRET"),
            sign_name=need("DANGJIAN_ALIYUN_SIGN_NAME"),
            template=need("DANGJIAN_ALIYUN_TEMPLATE_CODE"),
            param=env("DANGJIAN_ALIYUN_TEMPLATE_PARAM", "content"),
            endpoint=env("DANGJIAN_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
            timeout=number("DANGJIAN_ALIYUN_TIMEOUT", 10),
            rate=number("DANGJIAN_ALIYUN_RATE", 0),
        )
    return TencentGateway(
        secret_id=need("DANGJIAN_TENCENT_SECRET_ID"),
        secret_key=need("DANGJIAN_TENCENT_SECRET_KEY"),
        app_id=need("DANGJIAN_TENCENT_SDK_APP_ID"),
        sign_name=need("DANGJIAN_TENCENT_SIGN_NAME"),
        template=need("DANGJIAN_TENCENT_TEMPLATE_ID"),
        region=env("DANGJIAN_TENCENT_REGION", "ap-guangzhou"),
        endpoint=env("DANGJIAN_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/"),
        timeout=number("DANGJIAN_TENCENT_TIMEOUT", 10),
        rate=number("DANGJIAN_TENCENT_RATE", 0),
    )
