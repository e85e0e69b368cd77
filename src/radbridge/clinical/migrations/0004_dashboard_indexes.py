"""Indexes for the staff dashboard's date-range counts: orders by exam date, and by arrival
for the ones not scheduled yet."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_search_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="order", index=models.Index(fields=["scheduled_at"], name="order_scheduled")
        ),
        migrations.AddIndex(
            model_name="order", index=models.Index(fields=["created_at"], name="order_created")
        ),
    ]
