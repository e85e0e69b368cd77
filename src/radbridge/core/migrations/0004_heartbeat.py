from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0003_outbox_cursor")]

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("role", models.CharField(max_length=30)),
                ("host", models.CharField(max_length=200)),
                ("pid", models.PositiveIntegerField()),
                ("started_at", models.DateTimeField()),
                ("beat_at", models.DateTimeField(db_index=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("role", "host", "pid"),
                                            name="heartbeat_one_row")
                ],
            },
        ),
    ]
