"""The worklist's searches: folded patient names (accent-blind LIKE, trigram-indexed on
PostgreSQL), indexes for its filters and sorts, and the report text index.

Report text: PostgreSQL gets a stored tsvector column (english configuration, GIN index) that
the database computes on every insert and update; SQLite gets an FTS5 table over the report
versions (porter stemming, diacritics removed) kept in step by triggers. Neither is in the
Django model: clinical.search is their only reader. (A later migration that makes SQLite
rebuild clinical_reportversion drops the triggers: it must create them again.)
"""

import unicodedata


from django.db import migrations, models


def fold_name(text):
    # Frozen copy of clinical.search.names.fold_name as it was when this migration was made.
    special = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d",
                             "ð": "d", "þ": "th", "ı": "i"})
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(special))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace(",", " ").replace("^", " ").split())


def fold_existing_names(apps, schema_editor):
    Patient = apps.get_model("clinical", "Patient")
    batch = []
    for patient in Patient.objects.only("family_name", "given_name", "middle_name").iterator(
        chunk_size=2000
    ):
        patient.search_name = fold_name(
            " ".join((patient.family_name, patient.given_name, patient.middle_name))
        )
        batch.append(patient)
        if len(batch) == 2000:
            Patient.objects.bulk_update(batch, ["search_name"])
            batch = []
    Patient.objects.bulk_update(batch, ["search_name"])


POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS clinical_patient_search_name_trgm "
    "ON clinical_patient USING gin (search_name gin_trgm_ops)",
    "ALTER TABLE clinical_reportversion ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
    "CREATE INDEX IF NOT EXISTS clinical_reportversion_search_vector "
    "ON clinical_reportversion USING gin (search_vector)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS clinical_reportversion_search_vector",
    "ALTER TABLE clinical_reportversion DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS clinical_patient_search_name_trgm",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS clinical_reportversion_fts USING fts5(text, "
    "content='clinical_reportversion', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS clinical_reportversion_fts_insert AFTER INSERT ON "
    "clinical_reportversion BEGIN INSERT INTO clinical_reportversion_fts(rowid, text) "
    "VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS clinical_reportversion_fts_delete AFTER DELETE ON "
    "clinical_reportversion BEGIN INSERT INTO clinical_reportversion_fts"
    "(clinical_reportversion_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER IF NOT EXISTS clinical_reportversion_fts_update AFTER UPDATE OF text ON "
    "clinical_reportversion BEGIN INSERT INTO clinical_reportversion_fts"
    "(clinical_reportversion_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO clinical_reportversion_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO clinical_reportversion_fts(clinical_reportversion_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS clinical_reportversion_fts_insert",
    "DROP TRIGGER IF EXISTS clinical_reportversion_fts_delete",
    "DROP TRIGGER IF EXISTS clinical_reportversion_fts_update",
    "DROP TABLE IF EXISTS clinical_reportversion_fts",
]


def create_text_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}.get(vendor, []):
        schema_editor.execute(statement)


def drop_text_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(
        vendor, []
    ):
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('clinical', '0002_search_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='search_name',
            field=models.CharField(blank=True, default='', editable=False, max_length=310),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['-scheduled_at', '-id'], name='order_worklist_exam'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['modality', '-scheduled_at'], name='order_worklist_modality'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['priority', '-scheduled_at'], name='order_worklist_priority'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['updated_at'], name='order_updated'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['ordering_practitioner', '-scheduled_at', '-id'], name='order_worklist_physician'),
        ),
        migrations.AddIndex(
            model_name='order',
            index=models.Index(fields=['location', '-scheduled_at', '-id'], name='order_worklist_location'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['birth_date'], name='patient_birth_date'),
        ),
        migrations.RunPython(fold_existing_names, migrations.RunPython.noop),
        migrations.RunPython(create_text_indexes, drop_text_indexes),
    ]
