"""Indexes for the searches the FHIR API serves at scale: patients by name prefix, and an
order's (report's) date per patient.

The name indexes are PostgreSQL expression indexes matching Django's case-insensitive
`istartswith` (`UPPER(col) LIKE UPPER('smi%')`); `text_pattern_ops` lets LIKE use them in
any collation. SQLite cannot use an index for LIKE with ESCAPE, so they are not made there.
"""

from django.db import migrations, models

NAME_COLUMNS = ("family_name", "given_name", "middle_name")


def create_name_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAME_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS clinical_patient_upper_{column} "
            f"ON clinical_patient (UPPER({column}) text_pattern_ops)"
        )


def drop_name_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAME_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS clinical_patient_upper_{column}")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["patient", "scheduled_at"], name="order_patient_scheduled"),
        ),
        migrations.RunPython(create_name_indexes, drop_name_indexes),
    ]
