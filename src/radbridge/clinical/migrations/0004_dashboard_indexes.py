"""Index for the staff dashboard's date-range counts of orders not scheduled yet (by arrival);
exam-date ranges use the worklist's order_worklist_exam index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("clinical", "0003_worklist_search")]

    operations = [
        migrations.AddIndex(
            model_name="order", index=models.Index(fields=["created_at"], name="order_created")
        ),
    ]
