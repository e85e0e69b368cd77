"""A generated imaging centre for the benchmarks: sites and rooms, referring physicians,
patients (some with accented names), orders and one final report each, with varied report
text; loaded fast into PostgreSQL (COPY) or SQLite (executemany in one transaction).

The same seed gives the same centre on both engines, so their figures compare. Rows go
straight into the clinical tables (the services would take hours for a million reports);
the folded names and the report text index that migration clinical 0003 defines are kept
as the services would: names folded here, report text indexed by the database itself
(PostgreSQL's generated tsvector, SQLite's FTS5 triggers).

    from bench.centre import generate, PostgresLoader, SqliteLoader
    generate(PostgresLoader(url), reports=1_000_000, patients=200_000)
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

SEED = 7
SYLLABLES = "ba be bi bo da de di do ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro " \
    "sa se si so ta te ti to va ve vi vo".split()
# One patient in twenty gets a name people type without its accents.
ACCENTED_FAMILY = ["Muñoz", "Müller", "García", "Gómez", "Lefèvre", "Nuñez", "Jäger", "Côté",
                   "Pérez", "Ødegård", "Šimek", "Björk"]
ACCENTED_GIVEN = ["José", "Zoë", "Renée", "André", "Chloé", "Jürgen", "Inés", "Noémie",
                  "François", "Łukasz", "Søren", "Ágnes"]
SITES = 5
ROOMS_PER_SITE = 4
PRACTITIONERS = 1000
MODALITIES = [("CT", "CT chest"), ("CT", "CT abdomen and pelvis"), ("MR", "MRI brain"),
              ("MR", "MRI knee"), ("US", "Ultrasound abdomen"), ("DX", "Chest X-ray"),
              ("MG", "Screening mammogram"), ("NM", "Bone scan"), ("PT", "PET-CT")]
FINDINGS = [
    "Two pulmonary nodules in the {side} lower lobe, the largest {size} mm.",
    "A solitary pulmonary nodule in the {side} upper lobe measuring {size} mm.",
    "Ground glass opacity in the {side} lung base.",
    "Small {side} pleural effusion.", "Mild cardiomegaly.", "Atelectasis at the {side} base.",
    "Consolidation of the {side} middle lobe, likely pneumonia.",
    "Emphysematous changes in both upper lobes.", "Hiatal hernia.",
    "Simple hepatic cyst of {size} mm.", "Hepatic steatosis.", "Cholelithiasis without "
    "cholecystitis.", "A {size} mm renal calculus in the {side} kidney.",
    "Simple renal cyst in the {side} kidney.", "Mild hydronephrosis on the {side}.",
    "Splenomegaly.", "Diverticulosis of the sigmoid colon without diverticulitis.",
    "Appendix is normal.", "Small umbilical hernia containing fat.",
    "Degenerative disc disease at L4-L5.", "Compression fracture of the L1 vertebral body.",
    "Non-displaced fracture of the {side} distal radius.",
    "Tear of the posterior horn of the medial meniscus.", "Anterior cruciate ligament intact.",
    "Joint effusion in the {side} knee.", "Chronic small vessel ischaemic changes.",
    "No intracranial haemorrhage.", "Small meningioma along the {side} convexity.",
    "Mucosal thickening of the maxillary sinuses.", "Thyroid nodule of {size} mm.",
    "Enlarged mediastinal lymph nodes up to {size} mm.", "Aortic aneurysm of {size} mm.",
    "Coronary artery calcification.", "Scattered fibroglandular densities; BI-RADS 2.",
    "A {size} mm spiculated mass in the {side} breast; BI-RADS 4.",
    "Increased uptake in the {side} femoral neck, suspicious for metastasis.",
    "FDG-avid lymph node in the {side} axilla.", "Gallbladder polyp of {size} mm.",
    "Adrenal adenoma on the {side}.", "Pancreatic duct is not dilated.",
]
IMPRESSIONS = ["No acute abnormality.", "Follow-up imaging in 6 months is recommended.",
               "Findings discussed with the referring physician.", "Stable since the prior "
               "examination.", "Clinical correlation is recommended.",
               "Recommend comparison with outside studies."]
FIRST_DAY = datetime(2021, 1, 1, 7, tzinfo=UTC)
DAYS = 5 * 365
CLINICAL_TABLES = ("clinical_reportversion", "clinical_report", "clinical_order_copies_to",
                   "clinical_order", "clinical_patientidentifier", "clinical_patient")


def family_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()


def fold_name(text: str) -> str:
    from radbridge.clinical.search import fold_name as fold

    return fold(text)


def report_text(rng: random.Random, procedure: str) -> str:
    findings = [
        finding.format(side=rng.choice(("left", "right")), size=rng.randrange(3, 40))
        for finding in rng.sample(FINDINGS, rng.randrange(1, 4))
    ]
    return (f"EXAMINATION: {procedure}.\nFINDINGS: {' '.join(findings)}\n"
            f"IMPRESSION: {rng.choice(IMPRESSIONS)}")


def centre_tables(reports: int, patients: int) -> Iterator[tuple[str, str, Iterable[tuple]]]:
    """(table, columns, rows) in dependency order; ids start at 1 in every table."""
    rng = random.Random(SEED)
    now = datetime.now(UTC)
    rooms = SITES * ROOMS_PER_SITE
    yield ("clinical_organization", "id, created_at, updated_at, name, kind, identifier",
           [(n, now, now, f"Site {n}", "site", f"SITE{n}") for n in range(1, SITES + 1)])
    yield ("clinical_location", "id, created_at, updated_at, organization_id, code, name",
           [(n, now, now, (n - 1) // ROOMS_PER_SITE + 1, f"ROOM{n}", f"Room {n}")
            for n in range(1, rooms + 1)])
    yield ("clinical_practitioner", "id, created_at, updated_at, identifier, "
           "assigning_authority, family_name, given_name, prefix, suffix, phone, email",
           [(n, now, now, f"DR{n:05d}", "MERCY", family_name(rng), "Dana", "Dr", "", "", "")
            for n in range(1, PRACTITIONERS + 1)])

    def patient_rows():
        for pid in range(1, patients + 1):
            if pid % 20 == 0:
                family, given = rng.choice(ACCENTED_FAMILY), rng.choice(ACCENTED_GIVEN)
            else:
                family, given = family_name(rng), family_name(rng)
            birth = date(1930, 1, 1) + timedelta(days=rng.randrange(30000))
            yield (pid, now, now, family, given, "", "", "", birth, rng.choice("FM"), "[]", "",
                   "", "", "", "", "", fold_name(f"{family} {given}"))

    yield ("clinical_patient", "id, created_at, updated_at, family_name, given_name, "
           "middle_name, name_prefix, name_suffix, birth_date, sex, phones, email, "
           "address_line, address_city, address_state, address_postal_code, "
           "address_country, search_name", patient_rows())
    yield ("clinical_patientidentifier", "id, patient_id, value, assigning_authority, "
           "type_code", ((pid, pid, f"MRN{pid:08d}", "MERCY", "MR")
                         for pid in range(1, patients + 1)))
    procedures: list[str] = []

    def order_rows():
        for oid in range(1, reports + 1):
            when = FIRST_DAY + timedelta(minutes=rng.randrange(DAYS * 24 * 60))
            modality, procedure = rng.choice(MODALITIES)
            procedures.append(procedure)
            priority = "stat" if rng.random() < 0.05 else "routine"
            yield (oid, when, when, f"A{oid:09d}", "", f"A{oid:09d}",
                   rng.randrange(1, patients + 1), modality, procedure, "L", modality, priority,
                   "final", when, "", "", rng.randrange(1, PRACTITIONERS + 1),
                   rng.randrange(1, rooms + 1))

    yield ("clinical_order", "id, created_at, updated_at, accession_number, "
           "placer_order_number, filler_order_number, patient_id, procedure_code, "
           "procedure_text, procedure_coding_system, modality, priority, status, scheduled_at, "
           "reason, study_instance_uid, ordering_practitioner_id, location_id", order_rows())
    yield ("clinical_report", "id, created_at, updated_at, order_id, status",
           ((rid, now, now, rid, "final") for rid in range(1, reports + 1)))
    yield ("clinical_reportversion", "id, report_id, number, status, text, rendering_type, "
           "signed_at, created_at",
           ((rid, rid, 1, "final", report_text(rng, procedures[rid - 1]), "", now, now)
            for rid in range(1, reports + 1)))


def generate(loader, reports: int, patients: int) -> None:
    """Empty the clinical tables and fill them with the centre, with a progress bar."""
    from tqdm import tqdm

    loader.clear()
    bar = tqdm(total=patients * 2 + reports * 3, unit="row", unit_scale=True, desc="load")
    for table, columns, rows in centre_tables(reports, patients):
        loader.load(table, columns, counted(rows, bar))
    bar.close()
    loader.finish()


def counted(rows: Iterable[tuple], bar) -> Iterator[tuple]:
    for row in rows:
        yield row
        bar.update()


LOADED_TABLES = (*CLINICAL_TABLES, "clinical_practitioner", "clinical_location",
                 "clinical_organization")


class PostgresLoader:
    """COPY into tables whose secondary indexes are dropped first and built again at the end
    (several times faster than maintaining them row by row, GIN above all)."""

    def __init__(self, url: str):
        import psycopg

        self.connection = psycopg.connect(url)
        self.tables: list[str] = []
        self.index_definitions: list[str] = []

    def clear(self) -> None:
        self.connection.execute(f"TRUNCATE {', '.join(LOADED_TABLES)} CASCADE")
        rows = self.connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(LOADED_TABLES)],
        ).fetchall()
        for name, definition in rows:
            self.connection.execute(f'DROP INDEX "{name}"')
            self.index_definitions.append(definition)

    def load(self, table: str, columns: str, rows: Iterable[tuple]) -> None:
        self.tables.append(table)
        with self.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self) -> None:
        # Committed first: the foreign keys are checked at commit, and no index can be built
        # on a table with checks pending.
        self.connection.commit()
        self.connection.autocommit = True
        self.connection.execute("SET maintenance_work_mem = '512MB'")
        for definition in self.index_definitions:
            self.connection.execute(definition)
        for table in self.tables:
            self.connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        self.connection.execute("VACUUM ANALYZE")
        self.connection.close()


class SqliteLoader:
    """Plain sqlite3 (no Django) in one transaction; datetimes stored as Django stores them.
    The report text index is built once at the end instead of row by row by its triggers
    (dropped for the load, then made again by migration clinical 0003's own statements)."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.connection.execute("PRAGMA cache_size=-262144")
        self.connection.execute("BEGIN")

    def clear(self) -> None:
        for statement in text_index_migration().SQLITE_BACKWARD:
            self.connection.execute(statement)
        for table in LOADED_TABLES:
            self.connection.execute(f"DELETE FROM {table}")  # noqa: S608 - our own names

    def load(self, table: str, columns: str, rows: Iterable[tuple]) -> None:
        marks = ", ".join("?" * len(columns.split(",")))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(sqlite_value(value) for value in row))
            if len(batch) == 10_000:
                self.connection.executemany(sql, batch)
                batch = []
        self.connection.executemany(sql, batch)

    def finish(self) -> None:
        for statement in text_index_migration().SQLITE_FORWARD:  # ends with 'rebuild'
            self.connection.execute(statement)
        self.connection.execute("COMMIT")
        self.connection.execute("ANALYZE")
        self.connection.close()


def text_index_migration():
    import importlib

    return importlib.import_module("radbridge.clinical.migrations.0003_worklist_search")


def sqlite_value(value):
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date):
        return value.isoformat()
    return value
