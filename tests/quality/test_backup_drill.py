"""Backup and restore drill: `dangjian backup` while letters pour in, `dangjian restore` into a fresh instance.

Two writer processes submit letters through the supervision actions on the test's database, each printing a letter's
number once its transaction has committed. While they write, `dangjian backup` runs in a process of its own; then
`dangjian restore` loads the archive into a fresh instance (an empty SQLite file, or an empty PostgreSQL database)
with the same secret key, as a county restoring onto a new machine would. The restored copy must be a consistent
snapshot: every letter committed before the backup started is there, equal to the original; nothing committed after
the backup ended is; every letter has its receipt event and its audit record; the audit chain verifies.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from dangjian.supervision.models import Channel
from tests.conftest import need
from tests.sms.test_crash import database_url

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "backup-drill-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
WRITER = """
import sys, time
from pathlib import Path
from dangjian.supervision import actions
stop, wid, i = Path(sys.argv[1]), sys.argv[2], 0
while not stop.exists():
    i += 1
    sub = actions.submit_letter(
        channel_code="voice", title=f"备份演练{wid}-{i}", body=f"第{i}封：路灯损坏，编号{wid}-{i}。", anonymous=True,
    )
    print("COMMITTED", time.time(), sub.letter.pk, flush=True)
"""
COLUMNS = "id, title, body, receipt_hash, content_hash, status, received_at"


def _env(data_dir: Path, url: str) -> dict:
    return {**os.environ, "DANGJIAN_ENV": "test", "DANGJIAN_DATA_DIR": str(data_dir), "DATABASE_URL": url,
            "SECRET_KEY": SECRET}  # fmt: skip


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"dangjian {' '.join(args)}: {done.stderr[-3000:]}"
    return done


def _reader(name: str):
    """Rows of a query on the database `name` (a SQLite file or a PostgreSQL database), read with the driver alone,
    so the original and the restored copy come back in the same types."""
    if connection.vendor == "sqlite":

        def rows(sql: str) -> list[tuple]:
            with sqlite3.connect(name) as db:
                return db.execute(sql).fetchall()

        return rows
    import psycopg

    s = connection.settings_dict

    def rows(sql: str) -> list[tuple]:
        with psycopg.connect(f"host={s['HOST']} port={s['PORT']} user={s['USER']} dbname={name}") as db:
            return db.execute(sql).fetchall()

    return rows


def _fresh_database(tmp_path: Path):
    """An empty database for the fresh instance: its URL, a reader of its rows, and its removal."""
    if connection.vendor == "sqlite":
        path = tmp_path / "fresh.sqlite3"
        return f"sqlite:///{path}", _reader(str(path)), lambda: None
    import psycopg

    s = connection.settings_dict
    name = f"{s['NAME']}_drill"
    admin = f"host={s['HOST']} port={s['PORT']} user={s['USER']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    url = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{name}"
    return url, _reader(name), drop


def _committed(writer: subprocess.Popen) -> list[tuple[float, int]]:
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err[-3000:]
    lines = [line.split() for line in out.splitlines() if line.startswith("COMMITTED ")]
    return [(float(t), int(pk)) for _mark, t, pk in lines]


def test_a_backup_taken_under_load_restores_into_a_fresh_instance_as_a_consistent_snapshot(tree, tmp_path):
    if connection.vendor == "postgresql":
        need(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump and pg_restore (postgresql-client)")
    Channel.objects.create(code="voice", name="民声通道", unit=tree["county"])
    original = _env(tmp_path / "original", database_url())
    stop = tmp_path / "stop"
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dangjian.cli",
                "shell",
                "-c",
                WRITER.replace("sys.argv[1]", repr(str(stop))).replace("sys.argv[2]", repr(str(w))),
            ],
            env=original,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in (1, 2)
    ]
    fresh_url, fresh_rows, drop = _fresh_database(tmp_path)
    try:
        deadline = time.monotonic() + 120
        while _count_letters() < 40:  # the writers are up and writing
            assert time.monotonic() < deadline, "the writers stored too few letters in 120 s"
            assert all(w.poll() is None for w in writers), [w.stderr.read()[-2000:] for w in writers if w.stderr]
            time.sleep(0.2)
        archive = tmp_path / "drill.tar.gz"
        started = time.time()
        _cli(original, "backup", str(archive))
        ended = time.time()
        time.sleep(1.0)  # and the load goes on after the backup
        stop.touch()
        committed = [c for w in writers for c in _committed(w)]

        fresh = _env(tmp_path / "fresh", fresh_url)
        _cli(fresh, "restore", str(archive), "--noinput")
        verified = _cli(fresh, "audit", "verify")

        restored = {r[0]: r for r in fresh_rows(f"SELECT {COLUMNS} FROM supervision_letter")}  # noqa: S608
        original_rows = _reader(connection.settings_dict["NAME"])
        now = {r[0]: r for r in original_rows(f"SELECT {COLUMNS} FROM supervision_letter")}  # noqa: S608
        before = {pk for t, pk in committed if t < started}
        after = {pk for t, pk in committed if t > ended}
        assert len(before) >= 40 and after, (len(before), len(after))
        assert before <= set(restored), f"{len(before - set(restored))} letters committed before the backup are missing"
        assert not (after & set(restored)), "letters committed after the backup ended are in it"
        for pk, row in restored.items():  # equal to the original, column for column
            assert row == now[pk], pk
        events = fresh_rows("SELECT letter_id FROM supervision_letterevent WHERE verb = 'received'")
        assert sorted(e[0] for e in events) == sorted(restored)  # no letter without its event, nor the reverse
        audited = fresh_rows("SELECT object_id FROM core_auditrecord WHERE verb = 'letter.submit'")
        assert sorted(int(a[0]) for a in audited) == sorted(restored)
        assert verified.stdout.startswith("audit chain intact"), verified.stdout
    finally:
        stop.touch()
        for w in writers:
            if w.poll() is None:
                w.kill()
        drop()


def _count_letters() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM supervision_letter")
        return cursor.fetchone()[0]
