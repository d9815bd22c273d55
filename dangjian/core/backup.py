"""Backup and restore: the database and the media folder in one archive, with a manifest of SHA-256 checksums.

The archive is a gzip-compressed tar holding `manifest.json`, the database (`database/sqlite3.db`, a copy made with
SQLite's online backup API, https://www.sqlite.org/backup.html, consistent while the site keeps running; or
`database/postgresql.dump`, `pg_dump --format=custom`, one consistent snapshot) and the files under MEDIA_ROOT as
`media/<path>`. Restore checks every member against the manifest before it touches anything, then replaces the
database (SQLite backup API into the live file; `pg_restore --clean --single-transaction`) and swaps the media folder.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "dangjian-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database/sqlite3.db", "postgresql": "database/postgresql.dump"}
CHUNK = 1 << 20


class BackupError(Exception):
    """The archive cannot be made or restored; nothing was changed."""


@dataclass(frozen=True)
class Result:
    path: Path
    engine: str
    files: int
    bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(f"backup supports SQLite and PostgreSQL, not {vendor}")
    return vendor


def _pg_env(using: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore; the password goes through the environment, not the command line."""
    s = connections[using].settings_dict
    args = [f"--dbname={s['NAME']}"]
    if s.get("HOST"):
        args.append(f"--host={s['HOST']}")
    if s.get("PORT"):
        args.append(f"--port={s['PORT']}")
    if s.get("USER"):
        args.append(f"--username={s['USER']}")
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # No shell; the arguments come from the settings and the archive path, never from a request.
        result = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from exc
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _dump_database(using: str, engine: str, target: Path) -> None:
    connection = connections[using]
    if engine == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    else:
        args, env = _pg_env(using)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", *args], env)


def _media_root() -> Path | None:
    backend = settings.STORAGES["default"]["BACKEND"]
    if backend != "django.core.files.storage.FileSystemStorage":
        return None  # object storage keeps (and versions) its own files
    return Path(settings.MEDIA_ROOT)


def _migrations(using: str) -> dict[str, str]:
    """The last applied migration of each app: what schema the database in the archive has."""
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[using]).migration_qs.order_by("id").values_list("app", "name"):
        last[app] = name
    return last


def create(output: Path, *, using: str = "default") -> Result:
    """Write one archive with the database and the media folder; returns what it holds."""
    engine = _engine(using)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as tmp:
        db_file = Path(tmp) / "database"
        _dump_database(using, engine, db_file)
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:

            def add(source: Path, member: str) -> None:
                entries.append({"path": member, "size": source.stat().st_size, "sha256": sha256_of(source)})
                tar.add(source, arcname=member, recursive=False)

            add(db_file, DATABASE_MEMBER[engine])
            media = _media_root()
            if media is not None and media.is_dir():
                for path in sorted(p for p in media.rglob("*") if p.is_file() and not p.is_symlink()):
                    add(path, f"media/{path.relative_to(media).as_posix()}")
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "engine": engine,
                "database": DATABASE_MEMBER[engine],
                "media_included": media is not None,
                "migrations": _migrations(using),
                "files": entries,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
        partial.replace(output)  # a half-written archive never carries the final name
    return Result(output, engine, len(entries) - 1, sum(e["size"] for e in entries))


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and bool(p.parts)


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive, "r:*") as tar:
        try:
            member = tar.getmember(MANIFEST)
        except KeyError:
            raise BackupError("not a Dangjian backup: the archive has no manifest.json") from None
        f = tar.extractfile(member)
        manifest = json.loads(f.read()) if f else {}
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("not a Dangjian backup of a version this program reads")
    return manifest


def verify(archive: Path, into: Path) -> dict:
    """Extract the archive into an empty folder and check every file against the manifest; returns the manifest."""
    manifest = read_manifest(archive)
    listed = {e["path"]: e for e in manifest["files"]}
    with tarfile.open(archive, "r:*") as tar:
        members = [m for m in tar.getmembers() if m.name != MANIFEST]
        for m in members:
            if not m.isfile() or not _safe_member(m.name) or m.name not in listed:
                raise BackupError(f"unexpected member in the archive: {m.name}")
        missing = set(listed) - {m.name for m in members}
        if missing:
            raise BackupError(f"files listed in the manifest are missing: {sorted(missing)[:5]}")
        tar.extractall(into, members=members, filter="data")
    for name, entry in listed.items():
        path = into / name
        if path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            raise BackupError(f"checksum mismatch: {name}")
    return manifest


def _load_database(using: str, engine: str, source: Path) -> None:
    connection = connections[using]
    if engine == "sqlite":
        connection.close_if_unusable_or_obsolete()
        connection.ensure_connection()
        with sqlite3.connect(source) as original:
            original.backup(connection.connection)
        original.close()
    else:
        args, env = _pg_env(using)
        connection.close()  # our own session must not hold locks on the tables pg_restore drops
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(source),
            ],
            env,
        )


def _swap_media(source: Path | None) -> None:
    media = _media_root()
    if media is None:
        return
    media.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(dir=media.parent, prefix=".media-restore-"))
    if source is not None and source.is_dir():
        shutil.copytree(source, incoming, dirs_exist_ok=True)
    old = media.with_name(media.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    if media.exists():
        media.rename(old)
    incoming.rename(media)
    shutil.rmtree(old, ignore_errors=True)


def restore(archive: Path, *, using: str = "default") -> dict:
    """Replace the database and the media folder with the archive's, after checking every checksum."""
    engine = _engine(using)
    with tempfile.TemporaryDirectory(prefix="dangjian-restore-") as tmp:
        manifest = verify(Path(archive), Path(tmp))
        if manifest["engine"] != engine:
            raise BackupError(f"the archive holds a {manifest['engine']} database; this site runs on {engine}")
        _load_database(using, engine, Path(tmp) / manifest["database"])
        if manifest.get("media_included"):
            _swap_media(Path(tmp) / "media")
    return manifest
