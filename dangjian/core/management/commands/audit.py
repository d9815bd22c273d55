"""`dangjian audit verify`: walk the audit chain and report the first altered or missing record."""

from django.core.management.base import BaseCommand, CommandError

from dangjian.core import audit


class Command(BaseCommand):
    help = "Audit chain tools."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every record's hash and link.")

    def handle(self, *args, action, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(
                f"audit chain broken at record {result.first_bad_seq}: {result.problem} "
                f"({result.checked} records before it are intact)"
            )
        self.stdout.write(f"audit chain intact: {result.checked} records")
