"""On PostgreSQL, a GIN index over an entry's title and body together, the expression the search matches
(`backends.ChinesePostgresSearchBackend.ranked`): Wagtail indexes each column alone, so a query of words that
may fall in either could only be tested row by row. ANALYZE keeps statistics of the indexed expression
(PostgreSQL manual, 11.7 "Indexes on Expressions"), so the planner knows a common word from a rare one: a common
word is read newest first until enough are found, a rare one from this index."""

from django.db import migrations

INDEX = "dangjian_search_entry_text_gin"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON wagtailsearch_indexentry USING gin ((title || body))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("wagtailsearch", "0010_add_text_fields")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
