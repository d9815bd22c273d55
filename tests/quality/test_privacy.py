"""Privacy of an anonymous writer: after a letter is written anonymously through the web form, nothing that could
identify the writer is kept anywhere the platform writes: no database row, no log line, no cache entry, no stored
file's metadata, and no message goes back to them."""

from __future__ import annotations

import io
import logging
import pickle

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from dangjian.supervision.models import Attachment, Channel, Letter
from tests.supervision.conftest import solved

pytestmark = pytest.mark.django_db

ADDRESS, FORWARDED, AGENT = "10.77.3.41", "203.0.113.77", "Mozilla/5.0 (Linux; Android 13; HUAWEI-ZQX-2026) 会昌"
NAME, PHONE, EMAIL = "赖秀英", "13979712345", "laixiuying@example.cn"
SERIAL, MAKER = "SN-ZQX-99812", "HUAWEI-ZQX"


def photo_with_exif() -> bytes:
    """A JPEG as a phone writes it: GPS position (会昌县城), maker and the camera's serial number in EXIF."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = MAKER  # Make
    exif[0xA431] = SERIAL  # BodySerialNumber
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (25.0, 35.0, 59.0), 3: "E", 4: (115.0, 47.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def every_stored_text() -> str:
    """Every value of every row of every table the project's models own, as text (sessions decoded)."""
    parts = []
    for model in apps.get_models():
        if not model._meta.managed:
            continue
        for row in model._default_manager.values_list():
            parts.append(repr(row))
    for session in Session.objects.all():
        parts.append(repr(session.get_decoded()))
    return "\n".join(parts)


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def every_cached_value() -> str:
    """Keys and values of the default cache: the local memory cache, or Redis when the suite runs on it."""
    cache = caches["default"]
    if type(cache).__name__ == "LocMemCache":
        return "\n".join(f"{k} {pickle.loads(v)!r}" for k, v in cache._cache.items())  # noqa: S301 (our own cache)
    client = cache.client.get_client()
    read = {
        b"string": client.get,
        b"hash": client.hgetall,
        b"list": lambda k: client.lrange(k, 0, -1),
        b"set": client.smembers,
        b"zset": lambda k: client.zrange(k, 0, -1),
    }
    out = []
    for key in client.scan_iter(count=1000):  # every key: the cache's and the task queue's
        kind = client.type(key)
        value = read.get(kind, lambda _k: b"")(key)
        if isinstance(value, dict):
            value = [x for pair in value.items() for x in pair]
        parts = value if isinstance(value, list | set) else [value]
        out.append(f"{key!r} " + " ".join(_text(x) for x in parts))
    return "\n".join(out)


@pytest.fixture
def channel(tree):
    return Channel.objects.create(
        code="secretary", name="书记信箱", addressee="县委书记", email="sj@dangjian.localhost", unit=tree["county"]
    )


def test_an_anonymous_letter_leaves_no_trace_of_its_writer(client, channel, caplog, settings, tmp_path, mailoutbox):
    settings.MEDIA_ROOT = tmp_path / "media"
    caplog.set_level(logging.DEBUG)
    form = {
        "title": "反映村道硬化资金问题",
        "body": "村道硬化资金去向不明，请核查。",
        "category": "complaint",
        "anonymous": "on",
        "contact_name": NAME,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
        "attachments": [SimpleUploadedFile("IMG_20261128.jpg", photo_with_exif(), content_type="image/jpeg")],
    }
    page = client.post(
        reverse("supervision:write", args=["secretary"]),
        {**form, **solved()},
        REMOTE_ADDR=ADDRESS,
        HTTP_X_FORWARDED_FOR=FORWARDED,
        HTTP_USER_AGENT=AGENT,
    )
    assert page.status_code == 200, page.content.decode()[:500]
    letter = Letter.objects.get()
    assert letter.is_anonymous

    secrets = (ADDRESS, FORWARDED, AGENT, "HUAWEI-ZQX-2026", NAME, PHONE, EMAIL)
    stored = every_stored_text()
    logged = "\n".join(r.getMessage() + repr(r.__dict__) for r in caplog.records)
    cached = every_cached_value()
    for secret in secrets:
        assert secret not in stored, f"{secret!r} is in the database"
        assert secret not in logged, f"{secret!r} is in the log"
        assert secret not in cached, f"{secret!r} is in the cache"
    assert not mailoutbox, "an anonymous writer is sent nothing"

    attachment = Attachment.objects.get()
    kept = attachment.file.read()
    assert SERIAL.encode() not in kept and MAKER.encode() not in kept
    with Image.open(io.BytesIO(kept)) as picture:
        assert dict(picture.getexif()) == {}, "the picture still carries EXIF (position, camera serial)"
        assert picture.size == (64, 48)


@pytest.mark.parametrize(
    "name, data",
    [
        ("bomb.png", "bomb"),
        ("cut.jpg", "truncated"),
    ],
)
def test_a_hostile_picture_is_refused_and_nothing_is_stored(client, channel, name, data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    if data == "bomb":  # 20,000 × 20,000 pixels of one colour: a few kilobytes on the wire, 400 MB once decoded
        out = io.BytesIO()
        Image.new("1", (20_000, 20_000)).save(out, "PNG", optimize=True)
        payload = out.getvalue()
    else:
        payload = photo_with_exif()[:300]
    form = {"title": "图片", "body": "见附件。", "category": "complaint", "anonymous": "on",
            "attachments": [SimpleUploadedFile(name, payload)]}  # fmt: skip
    page = client.post(reverse("supervision:write", args=["secretary"]), {**form, **solved()})
    assert page.status_code == 400
    assert "attachments" in page.context["form"].errors
    assert not Letter.objects.exists() and not Attachment.objects.exists()
