"""Who is acting: an actor context set at every entry point, and the audit writer.

Every entry point (HTTP middleware, the MLLP connection, the DICOM association, the worker,
a CLI command) wraps its work in `acting_as(...)`. Services call `record(...)` for each change
they make; a write with no actor raises, so an unaudited path fails loudly in tests. Views
that show PHI call `record_read(...)`: read actions all start with `read.`, which is how the
audit viewer answers "who has seen this patient's records". `record` is one INSERT: the
hash chain is added later by the sealer (see AuditEntry), so writers never wait on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connections, models, router
from django.utils import timezone

from .models import AuditEntry


@dataclass(frozen=True)
class Actor:
    name: str  # "user:alice", "hl7:RIS@MERCY", "worker", "cli:root"
    role: str = ""
    source_address: str = ""
    user_agent: str = ""


_current_actor: ContextVar[Actor | None] = ContextVar("radbridge_actor", default=None)


class NoActorError(RuntimeError):
    """A change was attempted outside any `acting_as` block: its author would be unknown."""


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


def current_actor() -> Actor:
    actor = _current_actor.get()
    if actor is None:
        raise NoActorError("no actor set: wrap this entry point in core.audit.acting_as(...)")
    return actor


def record(
    action: str,
    object_type: str = "",
    object_id: object = "",
    patient_id: int | None = None,
    outcome: str = "ok",
    **detail: object,
) -> AuditEntry:
    entry = pending(action, object_type, object_id, patient_id, outcome, **detail)
    entry.save(force_insert=True)
    return entry


def pending(
    action: str,
    object_type: str = "",
    object_id: object = "",
    patient_id: int | None = None,
    outcome: str = "ok",
    **detail: object,
) -> AuditEntry:
    """The entry `record` would write, by the current actor, not yet saved: a writer of many
    changes at once collects them and saves them with `record_all`, in one INSERT."""
    actor = current_actor()
    return AuditEntry(
        actor=actor.name,
        actor_role=actor.role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        patient_id=patient_id,
        source_address=actor.source_address,
        user_agent=actor.user_agent[:300],
        outcome=outcome,
        detail=detail,
    )


def record_all(entries: list[AuditEntry]) -> None:
    """Save `pending` entries in one INSERT, values prepared as the ORM would store them.

    Not bulk_create: preparing every field of every object through the ORM cost about a
    millisecond per 25 entries (a worklist page writes 25, a DICOM batch up to 64), while
    only the time and the detail need it."""
    if not entries:
        return
    now = timezone.now()
    database = connections[router.db_for_write(AuditEntry)]
    rows = []
    for entry in entries:
        entry.at = now
        rows.extend(
            field.get_db_prep_save(getattr(entry, field.attname), database) if prepared
            else getattr(entry, field.attname)
            for field, prepared in _WRITTEN
        )
    table = database.ops.quote_name(AuditEntry._meta.db_table)
    columns = ", ".join(database.ops.quote_name(field.column) for field, _ in _WRITTEN)
    one_row = f"({', '.join(['%s'] * len(_WRITTEN))})"
    with database.cursor() as cursor:
        for start in range(0, len(entries), _ROWS_PER_INSERT):
            count = min(_ROWS_PER_INSERT, len(entries) - start)
            values = rows[start * len(_WRITTEN):(start + count) * len(_WRITTEN)]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES "
                           + ", ".join([one_row] * count), values)


# Every column but the id, and whether its value needs the ORM's preparation.
_WRITTEN = [(field, isinstance(field, models.DateTimeField | models.JSONField))
            for field in AuditEntry._meta.concrete_fields if not field.primary_key]
_ROWS_PER_INSERT = 500  # SQLite allows 32,766 parameters in one statement


READ_PREFIX = "read."


def record_read(
    what: str,
    object_type: str = "",
    object_id: object = "",
    patient_id: int | None = None,
    **detail: object,
) -> AuditEntry:
    """Record that PHI was shown: `what` names the kind of read ("report", "search", "export")."""
    return record(f"{READ_PREFIX}{what}", object_type, object_id, patient_id=patient_id, **detail)


def record_reads(
    what: str, object_type: str, shown: list[tuple[object, int | None]], **detail: object
) -> None:
    """One entry per record shown in a list or search result, in one INSERT, so "who has
    seen this patient's records" finds list views too. `shown` is (object id, patient id)."""
    record_all([
        pending(f"{READ_PREFIX}{what}", object_type, object_id, patient_id, **detail)
        for object_id, patient_id in shown
    ])
