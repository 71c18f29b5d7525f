"""A record's reason also kept as a message id and its parameters (shown translated)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_recheck"),
    ]

    operations = [
        migrations.AddField(
            model_name="runrecord",
            name="reason_key",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AddField(
            model_name="runrecord",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
