"""`dangjian backup` / `dangjian restore`: a restored copy equals the original, database and media alike.

Runs on whichever database the suite runs on (SQLite's online backup API, or pg_dump/pg_restore on PostgreSQL).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.core import actions, audit, backup, outbox
from dangjian.core.models import Channel, RoleKind, Unit, UnitKind
from tests.conftest import need

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA_FILES = {
    "documents/会昌县委组织部/通知.pdf": b"%PDF-1.4 notice\n" * 100,
    "images/photo.jpg": bytes(range(256)) * 40,
    "empty.txt": b"",
}


def snapshot() -> dict[str, list[str]]:
    """Every row of every table, read with plain SQL (independent of the models and of the code under test)."""
    tables = sorted(connection.introspection.table_names())
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (table names from the schema)
            rows[table] = sorted(repr(r) for r in cursor.fetchall())
    return rows


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, data in MEDIA_FILES.items():
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return settings.MEDIA_ROOT


@pytest.fixture
def site(tree, make_user, media):
    """Data made through the actions: units, roles, audit records, an outbox row; and the media files."""
    if connection.vendor == "postgresql":
        need(shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump and pg_restore (postgresql-client)")
    user = make_user("leader", (RoleKind.COUNTY_LEADER, tree["county"]))
    outbox.queue_notification(channel=Channel.INBOX, body="会议通知", recipient=user, unit=tree["t1"])
    return tree


def test_a_restored_copy_equals_the_original(site, media, tmp_path):
    archive = tmp_path / "backups" / "site.tar.gz"
    before = snapshot()
    assert before["core_auditrecord"] and before["core_unit"]
    call_command("backup", str(archive), stdout=io.StringIO())

    # Everything changes after the backup: new rows, a file gone, a file changed, a file added.
    actions.create_unit(actor=None, code="V9", name="新村", kind=UnitKind.VILLAGE, parent=site["t1"])
    (media / "images/photo.jpg").unlink()
    (media / "empty.txt").write_bytes(b"changed")
    (media / "new.txt").write_bytes(b"after the backup")
    assert snapshot() != before

    out = io.StringIO()
    call_command("restore", str(archive), "--noinput", stdout=out)
    assert "restored the backup" in out.getvalue()
    assert snapshot() == before
    assert media_files(media) == MEDIA_FILES
    assert not Unit.objects.filter(code="V9").exists()
    assert audit.verify().ok
    # The restored database is a working one: the next action appends to the restored chain.
    actions.create_unit(actor=None, code="V8", name="又一村", kind=UnitKind.VILLAGE, parent=site["t2"])
    assert audit.verify().ok


def test_the_manifest_lists_every_file_with_its_checksum(site, media, tmp_path):
    archive = tmp_path / "site.tar.gz"
    result = backup.create(archive)
    manifest = backup.read_manifest(archive)
    assert manifest["engine"] == connection.vendor == result.engine
    assert manifest["migrations"]["core"].startswith("00")
    by_path = {e["path"]: e for e in manifest["files"]}
    assert set(by_path) == {manifest["database"], *(f"media/{n}" for n in MEDIA_FILES)}
    for name, data in MEDIA_FILES.items():
        entry = by_path[f"media/{name}"]
        assert entry["size"] == len(data)
        assert entry["sha256"] == backup.hashlib.sha256(data).hexdigest()
    assert result.files == len(MEDIA_FILES)


def rewrite(archive: Path, target: Path, change) -> None:
    """Copy an archive member by member, letting `change(name, data)` alter (or drop, with None) a member."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda name, data: b"tampered" if name == "media/images/photo.jpg" else data, "checksum mismatch"),
        (lambda name, data: None if name == "media/empty.txt" else data, "missing"),
        (
            lambda name, data: (
                json.dumps({**json.loads(data), "engine": "oracle"}).encode() if name == "manifest.json" else data
            ),
            "holds a oracle database",
        ),
        (lambda name, data: None if name == "manifest.json" else data, "no manifest.json"),
    ],
    ids=["altered-file", "missing-file", "other-engine", "no-manifest"],
)
def test_a_damaged_or_foreign_archive_is_refused_and_nothing_changes(site, media, tmp_path, change, message):
    archive, damaged = tmp_path / "good.tar.gz", tmp_path / "damaged.tar.gz"
    backup.create(archive)
    rewrite(archive, damaged, change)
    actions.create_unit(actor=None, code="V9", name="新村", kind=UnitKind.VILLAGE, parent=site["t1"])
    (media / "new.txt").write_bytes(b"after the backup")
    before, files = snapshot(), media_files(media)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(damaged), "--noinput")
    assert snapshot() == before
    assert media_files(media) == files


def test_an_archive_member_outside_the_manifest_is_refused(site, media, tmp_path):
    archive, damaged = tmp_path / "good.tar.gz", tmp_path / "damaged.tar.gz"
    backup.create(archive)
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
        evil = tarfile.TarInfo("../outside.txt")
        evil.size = 4
        dst.addfile(evil, io.BytesIO(b"evil"))
    with pytest.raises(CommandError, match="unexpected member"):
        call_command("restore", str(damaged), "--noinput")
    assert not (tmp_path / "outside.txt").exists()


def test_backup_without_a_path_writes_into_the_data_directory(site, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    out = io.StringIO()
    call_command("backup", stdout=out)
    (written,) = (tmp_path / "var" / "backups").glob("dangjian-*.tar.gz")
    assert str(written) in out.getvalue()
    assert backup.read_manifest(written)["engine"] == connection.vendor
    assert not list((tmp_path / "var" / "backups").glob("*.partial"))


def test_backup_into_a_folder_names_the_archive_by_time(site, tmp_path):
    folder = tmp_path / "nightly"
    folder.mkdir()
    call_command("backup", str(folder), stdout=io.StringIO())
    (written,) = folder.glob("dangjian-*.tar.gz")
    assert backup.read_manifest(written)["engine"] == connection.vendor
