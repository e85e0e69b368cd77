"""The report text index (PostgreSQL) takes each new report version at once instead of
queueing it in GIN's pending list.

With fastupdate on, inserts collect in a list of up to 4 MB that every search reads from
start to end until vacuum merges it: searches slow down as reports arrive, the tail of the
search latency with them. A report is written once and searched many times, so the insert
pays instead. SQLite's FTS5 index has no such list.
"""

from django.db import migrations

INDEX = "clinical_reportversion_search_vector"


def no_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {INDEX} SET (fastupdate = off)")
        # Turning it off does not empty the list already there.
        schema_editor.execute(f"SELECT gin_clean_pending_list('{INDEX}'::regclass)")


def pending_list_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER INDEX {INDEX} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("clinical", "0004_dashboard_indexes")]

    operations = [migrations.RunPython(no_pending_list, pending_list_again)]
