"""`flush` that leaves the database as `migrate` left it: the audit chain empty, its head and triggers in place.

Django's flush deletes (SQLite) or truncates (PostgreSQL) every table, which the append-only triggers of migration
0002 refuse, and it drops the chain's head row that migration created. Tests that run outside a transaction
(transaction=True, live_server) end with a flush, so it lifts the triggers for the flush and puts them back.
"""

from importlib import import_module

from django.core.management.commands import flush
from django.db import connections

append_only = import_module("dangjian.core.migrations.0002_audit_append_only")


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if "core_auditrecord" not in connection.introspection.table_names():
            return super().handle(**options)
        vendor = connection.vendor
        lift = {"sqlite": append_only.SQLITE_REVERSE, "postgresql": append_only.POSTGRES_REVERSE}.get(vendor, [])
        restore = {"sqlite": append_only.SQLITE, "postgresql": append_only.POSTGRES}.get(vendor, [])
        with connection.cursor() as cursor:
            for sql in lift:
                cursor.execute(sql)
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                for sql in [*lift, *restore]:
                    cursor.execute(sql)
            from dangjian.core.audit import GENESIS
            from dangjian.core.models import AuditHead

            AuditHead.objects.using(options["database"]).get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS})
