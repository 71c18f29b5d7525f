from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("migrator", "0010_learned_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="runbatch",
            name="busy_seconds",
            field=models.FloatField(default=0.0),
        ),
    ]
