"""The sender's writes: the message's campaign loses its own index (the composite indexes that lead with it serve
every lookup), and on PostgreSQL the part table keeps half of each page free, so a receipt's update of a part
(its state, which no index holds) stays on the page as a HOT update and touches none of the part's indexes."""

import django.db.models.deletion
from django.db import migrations, models

PART_FILLFACTOR = 50


def set_part_fillfactor(apps, schema_editor, fillfactor=PART_FILLFACTOR):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE sms_part SET (fillfactor = {int(fillfactor)})")


def reset_part_fillfactor(apps, schema_editor):
    set_part_fillfactor(apps, schema_editor, fillfactor=100)


class Migration(migrations.Migration):
    dependencies = [
        ("sms", "0003_message_body_after_delivery"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="campaign",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="messages",
                to="sms.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.RunPython(set_part_fillfactor, reset_part_fillfactor),
    ]
