"""The journal's hot path in plain SQL: the retransmission lookup and the row insert.

Every received message passes here before its ACK, so these statements skip the ORM: a
batch costs one lookup and one INSERT, and a row is a slotted `JournalRow`, not a model
instance. Columns that need converting (times, bytes) go through the model's own fields,
so SQLite and PostgreSQL get exactly what the ORM would send.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import NamedTuple

from django.db import connection, models

from .models import InboundMessage

TABLE = InboundMessage._meta.db_table
FIELDS = [f for f in InboundMessage._meta.concrete_fields if not f.primary_key]
# Only these need the field's conversion; the others are stored as the Python value.
CONVERTED = {f.attname for f in FIELDS if isinstance(f, models.DateTimeField | models.BinaryField)}
INSERT = f"INSERT INTO {TABLE} ({', '.join(f.column for f in FIELDS)}) VALUES "
ROW = f"({', '.join(['%s'] * len(FIELDS))})"
ROWS_PER_INSERT = 500  # well under SQLite's limit on bound parameters
KEYS_PER_LOOKUP = 400


@dataclass(slots=True)
class JournalRow:
    """One journal entry on its way in; attribute names are InboundMessage's."""

    received_at: datetime
    channel: str
    peer: str
    raw: bytes
    content_hash: str
    sender_key: str = ""
    message_type: str = ""
    control_id: str = ""
    status: str = ""
    control_id_reused: bool = False
    duplicate_of_id: int | None = None
    ack_code: str = ""
    ack: str = ""
    error: str = ""
    warnings: str = ""
    processing_ms: float | None = None
    applied_at: datetime | None = None
    attempts: int = 0
    id: int | None = None
    duplicate_in_batch: JournalRow | None = None  # an earlier row of the same batch


assert {f.attname for f in FIELDS} <= {f.name for f in fields(JournalRow)}, "JournalRow drifted"


class Previous(NamedTuple):
    id: int
    content_hash: str
    status: str
    ack: str
    duplicate_of_id: int | None


def latest_of(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Previous]:
    """The newest journal row per (sender key, control ID), for the keys that have one."""
    found: dict[tuple[str, str], Previous] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), KEYS_PER_LOOKUP):
        chunk = ordered[start : start + KEYS_PER_LOOKUP]
        wanted = " OR ".join(["(sender_key = %s AND control_id = %s)"] * len(chunk))
        sql = (
            f"SELECT sender_key, control_id, id, content_hash, status, ack, duplicate_of_id "
            f"FROM {TABLE} WHERE id IN (SELECT MAX(id) FROM {TABLE} WHERE {wanted} "
            "GROUP BY sender_key, control_id)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for key in chunk for value in key])
            for sender_key, control_id, *rest in cursor.fetchall():
                found[(sender_key, control_id)] = Previous(*rest)
    return found


def insert_many(rows: list[JournalRow]) -> None:
    """Insert rows in one statement per chunk and set their ids, in the order given."""
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values = [
            f.get_db_prep_save(getattr(row, f.attname), connection)
            if f.attname in CONVERTED
            else getattr(row, f.attname)
            for row in chunk
            for f in FIELDS
        ]
        with connection.cursor() as cursor:
            # Both SQLite and PostgreSQL return the ids in VALUES order (as bulk_create assumes).
            cursor.execute(INSERT + ", ".join([ROW] * len(chunk)) + " RETURNING id", values)
            ids = sorted(found[0] for found in cursor.fetchall())
        for row, journal_id in zip(chunk, ids, strict=True):
            row.id = journal_id


def set_duplicate_of(journal_id: int, original_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET duplicate_of_id = %s WHERE id = %s", [original_id, journal_id]
        )
