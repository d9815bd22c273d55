"""The HTTP endpoints the cloud SMS providers push to: delivery reports and replies (public URLs under /sms/callback/).

What the providers send (each pushes a JSON body by POST to the one URL the operator enters in its console):
- Aliyun 短信服务, "HTTP批量推送模式": SmsReport, a JSON array of status reports (phone_number, success, err_code,
  biz_id, …), https://help.aliyun.com/zh/sms/developer-reference/smsreport-2 ; SmsUp, a JSON array of upstream
  messages (phone_number, content, sequence_id, …), https://help.aliyun.com/knowledge_detail/60127.html . The answer
  is `{"code": 0, "msg": "接收成功"}` with HTTP 200 (Aliyun checks only that `code` is a number); on any other status
  it pushes again after 1, 5 and 10 minutes, and it does not promise to push a message only once.
- Tencent Cloud SMS: the status callback (短信下发状态通知), a JSON array (mobile, nationcode, report_status, errmsg,
  description, sid = the SerialNo SendSms returned), https://cloud.tencent.com/document/api/382/5807 ; the reply
  callback (短信回复), one JSON object (mobile, nationcode, sign, text, time, extend),
  https://cloud.tencent.com/document/api/382/5809 . The answer is `{"result": 0, "errmsg": "OK"}`.

Neither provider signs these pushes, nor lets the operator add a header: all either documents is a URL. So the
secret travels in the URL's path (DANGJIAN_ALIYUN_CALLBACK_TOKEN, DANGJIAN_TENCENT_CALLBACK_TOKEN), compared in
constant time; an endpoint whose token is unset (or shorter than MIN_TOKEN) refuses every push. The token is then
as secret as the URL: serve it over HTTPS only, keep it out of the proxy's access log, and change it in the
provider's console and the environment together. Django's own log of a refused request would print the path, so
these answers are logged here, without it.

Each push is stored in one transaction: all of it or nothing (an answer other than 200 makes the provider push it
again). Reports go through dispatch.apply_receipts (a repeated report changes nothing; one for an id we never sent is
logged and acknowledged, since pushing it again would not make it known); replies go through
actions.receive_inbound (opt-out keywords, 点播 requests), once per provider message id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from dangjian.services.sms import actions, conf, dispatch
from dangjian.services.sms.gateways import InboundText, Receipt
from dangjian.services.sms.gateways.http import aliyun_replies, aliyun_report, tencent_replies, tencent_report

logger = logging.getLogger(__name__)

#: The largest body taken (bytes). A report is about 250 bytes; the providers push reports in batches of hundreds.
MAX_BODY = 1024 * 1024
#: A shorter token is treated as none: it could be guessed.
MIN_TOKEN = 16


@dataclass(frozen=True)
class Provider:
    token_setting: str
    ok: dict
    refusal: Callable[[str], dict]
    report: Callable[[list[dict]], list[Receipt]]
    replies: Callable[[list[dict]], list[InboundText]]


PROVIDERS = {
    "aliyun": Provider(
        "DANGJIAN_ALIYUN_CALLBACK_TOKEN",
        {"code": 0, "msg": "接收成功"},
        lambda reason: {"code": 1, "msg": reason},
        aliyun_report,
        aliyun_replies,
    ),
    "tencent": Provider(
        "DANGJIAN_TENCENT_CALLBACK_TOKEN",
        {"result": 0, "errmsg": "OK"},
        lambda reason: {"result": 1, "errmsg": reason},
        tencent_report,
        tencent_replies,
    ),
}


def _answer(provider: str, kind: str, status: int, body: dict) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status != 200:
        logger.warning("SMS %s %s push refused (%s): %s", provider, kind, status, next(iter(body.values()), ""))
        response._has_been_logged = True  # type: ignore[attr-defined]  # Django would log the path, token and all
    return response


def _token_ok(provider: Provider, given: str) -> bool:
    expected = conf.text(provider.token_setting, "")
    return len(expected) >= MIN_TOKEN and constant_time_compare(given, expected)


def _items(payload) -> list[dict] | None:
    """The documented shapes: a JSON array of objects (Tencent's reply: one object)."""
    items = [payload] if isinstance(payload, dict) else payload
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    return items


@csrf_exempt
def push(request: HttpRequest, *, provider: str, kind: str, token: str) -> JsonResponse:
    p = PROVIDERS[provider]
    refuse = p.refusal
    if request.method != "POST":
        response = _answer(provider, kind, 405, refuse(_("Only POST is accepted.")))
        response["Allow"] = "POST"
        return response
    if not _token_ok(p, token):
        return _answer(provider, kind, 403, refuse(_("Wrong or missing token.")))
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        return _answer(provider, kind, 413, refuse(_("The body is too large.")))
    try:
        items = _items(json.loads(request.body))
    except ValueError:  # also a body that is not UTF-8
        items = None
    if items is None:
        return _answer(provider, kind, 400, refuse(_("The body is not the JSON this address expects.")))
    with transaction.atomic():
        if kind == "report":
            receipts = p.report(items)
            matched = dispatch.apply_receipts(provider, receipts)
            if matched < len(receipts):
                logger.info("SMS %s report: %s of %s receipts matched a message", provider, matched, len(receipts))
        else:
            for reply in p.replies(items):
                try:
                    actions.receive_inbound(mobile=reply.mobile, text=reply.text, gateway=provider, ref=reply.ref)
                except ValidationError as exc:
                    # A number that cannot be on our lists (an opt-out from abroad): pushing it again changes nothing.
                    logger.warning("SMS %s reply from %s not taken: %s", provider, reply.mobile, exc)
    return _answer(provider, kind, 200, p.ok)
