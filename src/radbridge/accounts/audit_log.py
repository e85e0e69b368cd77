"""Reading the audit log: the filters the viewer and `radbridge audit export` share, the CSV
layout, and "who has seen this patient's records"."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from radbridge.core.audit import READ_PREFIX
from radbridge.core.models import AuditEntry

CSV_COLUMNS = [
    "id", "at", "actor", "actor_role", "action", "object_type", "object_id", "patient_id",
    "source_address", "user_agent", "outcome", "detail", "seq", "entry_hash",
]


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    patient_id: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    reads_only: bool = False

    def apply(self, entries: QuerySet) -> QuerySet:
        if self.actor:
            entries = entries.filter(actor__icontains=self.actor)
        if self.patient_id is not None:
            entries = entries.filter(patient_id=self.patient_id)
        if self.action:
            entries = entries.filter(action__startswith=self.action)
        if self.since:
            entries = entries.filter(at__gte=self.since)
        if self.until:
            entries = entries.filter(at__lt=self.until)
        if self.reads_only:
            entries = entries.filter(action__startswith=READ_PREFIX)
        return entries


def entries(audit_filter: AuditFilter) -> QuerySet:
    return audit_filter.apply(AuditEntry.objects.all()).order_by("-id")


def viewers_of(patient_ids: Iterable[int]) -> QuerySet:
    """Every read of these patients' records, newest first (the patient's own included)."""
    return AuditEntry.objects.filter(
        patient_id__in=list(patient_ids), action__startswith=READ_PREFIX
    ).order_by("-id")


def csv_rows(queryset: QuerySet) -> Iterator[list[str]]:
    yield CSV_COLUMNS
    for entry in queryset.iterator(chunk_size=2000):
        yield [
            _csv_safe(value)
            for value in (
                entry.id, entry.at.isoformat(), entry.actor, entry.actor_role, entry.action,
                entry.object_type, entry.object_id, entry.patient_id or "",
                entry.source_address, entry.user_agent, entry.outcome, entry.detail,
                entry.seq or "", entry.entry_hash,
            )
        ]


def _csv_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them as text."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


class Echo:
    """A file-like object whose write returns the line, for streaming CSV responses."""

    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet) -> Iterator[str]:
    writer = csv.writer(Echo())
    for row in csv_rows(queryset):
        yield writer.writerow(row)
