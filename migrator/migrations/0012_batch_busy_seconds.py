from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migrator", "0011_bulk_record_map_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="runbatch",
            name="busy_seconds",
            field=models.FloatField(default=0.0),
        ),
    ]
