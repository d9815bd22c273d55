"""`dangjian demo`: load the Huichang demo (idempotent) and print the demo accounts."""

from django.core.management.base import BaseCommand
from django.db import connection

from dangjian.core import demo


class Command(BaseCommand):
    help = "Load the Huichang demo data and accounts (safe to run again), or remove the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--remove-accounts", action="store_true", help="Delete every demo account.")
        parser.add_argument("--quiet-accounts", action="store_true", help="Do not print the accounts.")

    def handle(self, *args, remove_accounts=False, quiet_accounts=False, **options):
        if remove_accounts:
            self.stdout.write(f"removed {demo.remove_accounts()} demo accounts")
            return
        created = demo.load_units()
        self.stdout.write(f"Huichang demo: {created} units created" if created else "Huichang demo: already loaded")
        accounts = demo.load_accounts()
        from dangjian.core import registry

        for loader in registry.demo_loaders():
            loader(self.stdout)
        if connection.vendor == "postgresql":
            # The planner's statistics of the tables just filled, which autovacuum would gather a minute later:
            # without them PostgreSQL guesses one row where there are dozens (the search's join: 20 ms, not 0.3).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        if quiet_accounts:
            return
        self.stdout.write("\nDemo accounts (log in at http://127.0.0.1:8000/accounts/login/):")
        self.stdout.write(f"  {'username':<12} {'password':<28} {'TOTP secret (add to an authenticator app)'}")
        for acc in accounts:
            secret = acc.totp_base32 if acc.kind != "member" else "-"
            self.stdout.write(f"  {acc.username:<12} {acc.password:<28} {secret}")
        self.stdout.write("  TOTP codes for a demo account: dangjian totp <username>\n")
