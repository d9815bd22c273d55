"""The letters' JSON API, a public contract: write a letter, and follow it with its receipt.

    POST /api/v1/letters          {"channel", "title", "body", "anonymous", "contact_name", ...}
        201 {"receipt", "status", "first_response_due", "result_due"}
    POST /api/v1/letters/lookup   {"receipt"}
        200 the public view of that letter: status, follow-ups, result, rating

No login and no cookie (so no CSRF token): a citizen's app or a partner site (the 12345 hotline, a WeChat
account's back end) posts JSON. Every rule is `actions.submit_letter`'s, so the API gives the same translated
messages as the web form. Every error is JSON with a message per field, `{"errors": {"field": ["…"]}}`; `__all__`
holds what belongs to no field. 400 invalid input; 404 unknown receipt; 413 body too large; 429 too many requests
from the address (the same limits as the web form: `throttle.limit()`, `DANGJIAN_SUPERVISION_LIMITS`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ValidationError as SchemaError

from dangjian.core import calendar
from dangjian.core.models import Unit, UnitKind
from dangjian.supervision import actions, throttle
from dangjian.supervision.masking import mask
from dangjian.supervision.models import Category, Letter, Source

router = Router(tags=["supervision"])
_SURROGATE = re.compile("[\ud800-\udfff]")


class LetterIn(Schema):
    # The limits are stated in the schema and checked by `submit_letter`, whose messages name the field.
    channel: str = Field(json_schema_extra={"minLength": 1, "maxLength": 32})
    title: str = Field(json_schema_extra={"minLength": 1, "maxLength": actions.TITLE_MAX})
    body: str = Field(json_schema_extra={"minLength": 1, "maxLength": actions.BODY_MAX})
    anonymous: bool = False
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    category: str = Category.OTHER
    township: str = ""  # a township's unit code, from GET /api/v1/core/units?kind=township for staff, or blank
    is_public: bool = True


class Submitted(Schema):
    receipt: str
    status: str
    first_response_due: datetime
    result_due: datetime


class ReceiptIn(Schema):
    receipt: str = Field(json_schema_extra={"minLength": 1, "maxLength": 64})


class Answer(Schema):
    unit: str
    at: datetime
    body: str


class LetterView(Schema):
    title: str
    channel: str
    status: str
    status_label: str
    unit: str | None
    received_at: datetime
    first_response_due: datetime
    result_due: datetime
    follow_ups: list[Answer]
    result: Answer | None
    rating: str | None


class Errors(Schema):
    errors: dict[str, list[str]]


def _errors(status: int, errors: dict[str, list[str]]) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False})


def _read(request: HttpRequest, schema: type[Schema]) -> Schema | JsonResponse:
    """The body parsed and checked against the schema, or the 4xx answer with a message per field."""
    try:
        raw = request.body
    except RequestDataTooBig:
        return _errors(413, {"__all__": [_("The request is too large.")]})
    try:
        data = json.loads(raw or b"null")
    except (UnicodeDecodeError, ValueError):
        return _errors(400, {"__all__": [_("The body must be a JSON object.")]})
    if not isinstance(data, dict):
        return _errors(400, {"__all__": [_("The body must be a JSON object.")]})
    # JSON's \u escapes can spell lone surrogates, which are not characters: no text field may hold them.
    broken = sorted(str(k) for k, v in data.items() if isinstance(v, str) and _SURROGATE.search(v))
    if broken:
        return _errors(400, {k: [_("This field holds characters that are not valid text.")] for k in broken})
    try:
        return schema.model_validate(data)
    except SchemaError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            if error["type"] == "missing":
                message = _("This field is required.")
            elif error["type"].startswith("bool"):
                message = _("This field must be true or false.")
            else:
                message = _("This field must be text.")
            errors.setdefault(field, []).append(message)
        return _errors(400, errors)


def _body(schema: type[Schema]) -> dict:
    """The request body in the OpenAPI schema (the view reads it itself, to answer errors in the contract's form)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema.model_json_schema()}}}}


def _local(dt: datetime) -> str:
    return timezone.localtime(dt, calendar.SHANGHAI).isoformat()


@router.post(
    "/letters",
    response={201: Submitted, 400: Errors, 413: Errors, 429: Errors},
    auth=None,
    openapi_extra=_body(LetterIn),
    summary="Write a letter",
)
def submit(request: HttpRequest):
    data = _read(request, LetterIn)
    if isinstance(data, JsonResponse):
        return data
    assert isinstance(data, LetterIn)
    area = None
    if data.township:
        area = Unit.objects.filter(code=data.township, kind=UnitKind.TOWNSHIP, is_active=True).first()
        if area is None:
            return _errors(400, {"township": [_("Choose a township from the list.")]})
    if not throttle.allow(request, "write"):
        return _errors(429, {"__all__": [_("Too many letters from your connection; please try again in an hour.")]})
    try:
        submitted = actions.submit_letter(
            channel_code=data.channel, title=data.title, body=data.body, anonymous=data.anonymous,
            contact_name=data.contact_name, contact_phone=data.contact_phone, contact_email=data.contact_email,
            category=data.category, area=area, is_public=data.is_public, source=Source.API,
        )  # fmt: skip
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return _errors(400, {field: [str(m) for m in messages] for field, messages in errors.items()})
    letter = submitted.letter
    body = {
        "receipt": submitted.receipt,
        "status": letter.status,
        "first_response_due": _local(letter.first_response_due),
        "result_due": _local(letter.result_due),
    }
    return JsonResponse(body, status=201)


def _view(letter: Letter) -> dict:
    terms = letter.redaction_terms()
    follow_ups = [
        {"unit": f.unit.name, "at": _local(f.created_at), "body": mask(f.body, terms)}
        for f in letter.follow_ups.select_related("unit")
    ]
    result = letter.results.filter(signed_off_at__isnull=False).select_related("unit").last()
    rating = letter.ratings.order_by("round", "created_at").last()
    return {
        "title": letter.title,
        "channel": letter.channel.name,
        "status": letter.status,
        "status_label": str(letter.get_status_display()),
        "unit": letter.unit.name if letter.status != "received" else None,
        "received_at": _local(letter.received_at),
        "first_response_due": _local(letter.first_response_due),
        "result_due": _local(letter.result_due),
        "follow_ups": follow_ups,
        "result": {"unit": result.unit.name, "at": _local(result.signed_off_at), "body": mask(result.body, terms)}
        if result and result.signed_off_at
        else None,
        "rating": rating.value if rating else None,
    }


@router.post(
    "/letters/lookup",
    response={200: LetterView, 400: Errors, 404: Errors, 413: Errors, 429: Errors},
    auth=None,
    openapi_extra=_body(ReceiptIn),
    summary="Follow a letter with its receipt",
)
def lookup(request: HttpRequest):
    data = _read(request, ReceiptIn)
    if isinstance(data, JsonResponse):
        return data
    assert isinstance(data, ReceiptIn)
    if not throttle.allow(request, "lookup"):
        return _errors(429, {"__all__": [_("Too many look-ups from your connection; please wait ten minutes.")]})
    letter = actions.letter_for_receipt(data.receipt)
    if letter is None:
        return _errors(404, {"receipt": [_("No letter has this receipt. Check the letters and try again.")]})
    return JsonResponse(_view(letter), json_dumps_params={"ensure_ascii": False})
