"""`dangjian backup [ARCHIVE]`: the database and the media folder in one archive with a checksummed manifest."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dangjian.core import backup


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) and the media folder into one archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "archive",
            nargs="?",
            help="Archive file, or folder for dangjian-<time>.tar.gz (default: <data dir>/backups/).",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, archive=None, database="default", **options):
        folder = Path(settings.DATA_DIR) / "backups" if archive is None else Path(archive)
        if archive is None or archive.endswith("/") or folder.is_dir():
            archive = folder / f"dangjian-{timezone.now():%Y%m%dT%H%M%SZ}.tar.gz"
        try:
            result = backup.create(Path(archive), using=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"backup written: {result.path} ({result.engine} database, {result.files} media files, "
            f"{result.bytes} bytes before compression)"
        )
