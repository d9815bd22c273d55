from django.db import migrations


def load(apps, schema_editor):
    from dangjian.education import seed

    seed.load(apps.get_model("education", "Category"), apps.get_model("education", "Topic"),
              apps.get_model("education", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("education", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
