"""`dangjian restore ARCHIVE`: check the archive's checksums, then replace the database and the media folder."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import backup


class Command(BaseCommand):
    help = "Restore the database and the media folder from an archive made by `dangjian backup`."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive", help="Do not ask for confirmation."
        )

    def handle(self, *args, archive, database="default", interactive=True, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"no such archive: {path}")
        try:
            manifest = backup.read_manifest(path)
            if interactive:
                answer = input(
                    f"This replaces the whole database and media folder with the backup of {manifest['created_at']}. "
                    "Type 'yes' to continue: "
                )
                if answer != "yes":
                    raise CommandError("restore cancelled; nothing changed")
            manifest = backup.restore(path, using=database)
        except backup.BackupError as exc:
            raise CommandError(f"{exc}; nothing changed") from exc
        self.stdout.write(
            f"restored the backup of {manifest['created_at']}: {manifest['engine']} database, "
            f"{len(manifest['files']) - 1} media files. Run `dangjian migrate` if this version is newer."
        )
