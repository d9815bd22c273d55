"""A copy of the database and the media folder taken after sending reveals no subject, body, file name or content."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess

from django.conf import settings
from django.db import connection

from dangjian.core import crypto
from dangjian.services.securemail import actions
from dangjian.services.securemail.actions import Upload
from dangjian.services.securemail.models import Category

SUBJECT = "关于筠门岭镇换届选举工作的绝密请示"
BODY = "红色家书展览馆建设方案第七稿请审阅"
FILE_NAME = "展览馆预算明细表.xlsx"
CONTENT = "预算总额叁佰贰拾万元整，专款专用。".encode() * 3000


def _forms(text: str) -> list[bytes]:
    """The ways a string may sit in a dump: UTF-8, UTF-16, JSON with \\u escapes, and hex of the UTF-8 bytes."""
    raw = text.encode()
    return [raw, text.encode("utf-16-le"), json.dumps(text).encode(), raw.hex().encode()]


def _table_dump() -> bytes:
    """Every row of every table, as text and raw bytes."""
    out = io.BytesIO()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from introspection)
            for row in cursor.fetchall():
                for value in row:
                    out.write(bytes(value) if isinstance(value, (bytes, memoryview)) else str(value).encode())
                    out.write(b"\n")
    return out.getvalue()


def _pg_dump() -> bytes:
    """pg_dump of the test database when running on PostgreSQL and the tool is installed (else b"")."""
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        return b""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    args = ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]]
    return subprocess.run(args, env=env, check=True, capture_output=True).stdout


def _media_dump() -> bytes:
    out = io.BytesIO()
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        for name in files:
            out.write(name.encode())
            with open(os.path.join(root, name), "rb") as f:
                out.write(f.read())
    return out.getvalue()


def test_database_and_media_hold_none_of_the_plaintext(network, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = actions.send_message(
            actor=network.officers["t1"], unlocked=network.unlocked("t1"), sender_unit=network.units["t1"],
            recipients=[network.units[k] for k in ("d1", "d2", "d3")], category=Category.REQUEST,
            subject=SUBJECT, body=BODY, doc_number="会文发〔2026〕9号",
            uploads=[Upload(FILE_NAME, io.BytesIO(CONTENT))],
        )  # fmt: skip
        opened = actions.open_message(actor=network.officers["d1"], unlocked=network.unlocked("d1"), message=message)
    assert opened.subject == SUBJECT  # the mail is really there and readable with the keys

    dump = _table_dump() + _pg_dump()
    media = _media_dump()
    assert media.count(crypto.MAGIC) == 1 and len(media) > len(CONTENT)  # the ciphertext is where we look
    assert "会文发〔2026〕9号".encode() in dump  # metadata is in clear by design: the dump covers our tables
    secrets = [SUBJECT, BODY, FILE_NAME, CONTENT.decode()[:40], "红色家书", "预算明细"]
    for secret in secrets:
        for form in _forms(secret):
            assert form not in dump, secret
            assert form not in media, secret
