"""People written straight into their table in bulk: what an import of many rows and the benchmarks' seeding use.

Each value is prepared as its field prepares it for a save (`pre_save`, then `get_db_prep_save`: ID numbers and
phones are encrypted there), and the rows go in with PostgreSQL's COPY or one SQLite `executemany`. Django's
`bulk_create` builds an INSERT per batch through its SQL compiler, and SQLite's limit of 999 parameters holds a batch
of the person table's 30 columns to 33 rows: two thirds of writing a 100,000-row import went there. The database's
constraints hold for these rows as for any; a row one of them refuses raises Django's `DatabaseError` and, in the
caller's transaction, stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from dangjian.services.registry.models import Person


def insert_people(people: Iterable[Person]) -> None:
    """Insert unsaved people (their pks stay unset: read them back by a unique field if needed)."""
    db = transaction.get_connection()  # the connection itself: `connection` looks it up on every use
    fields = [f for f in Person._meta.concrete_fields if not f.primary_key]
    rows = [tuple(f.get_db_prep_save(f.pre_save(p, add=True), db) for f in fields) for p in people]
    if not rows:
        return
    qn = db.ops.quote_name
    into = f"{qn(Person._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
    with transaction.atomic(), db.cursor() as cursor, db.wrap_database_errors:
        if db.vendor == "postgresql":
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {into} VALUES ({', '.join(['%s'] * len(fields))})", rows)  # noqa: S608
