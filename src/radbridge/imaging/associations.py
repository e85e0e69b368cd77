"""The DICOM association log: one row per association the SCP saw, for the interface monitor.

The wire layer hands each finished association's record to the Receiver, in the server's
recorder thread, after the peer had its last answer; `record_association` writes it. A
database failure here is logged and forgotten: the association is over and its instances are
safe, only its line in the log is missing. Rows older than the retention period are pruned
daily (a periodic job, apps.py).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, connections
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .choices import AssociationOutcome
from .models import DicomAssociation
from .wire.record import AssociationRecord

log = logging.getLogger(__name__)

# Anything an operator should look at: not released, a failed C-STORE, or a reason noted.
PROBLEM = ~Q(outcome=AssociationOutcome.RELEASED) | Q(stores_failed__gt=0) | ~Q(reason="")


def record_association(record: AssociationRecord) -> None:
    try:
        DicomAssociation.objects.create(
            started_at=datetime.fromtimestamp(record.started_at, tz=UTC),
            duration_seconds=round(record.duration_seconds, 3),
            peer_address=record.peer_address[:45],
            calling_ae_title=record.calling_ae_title[:16],
            called_ae_title=record.called_ae_title[:16],
            outcome=record.outcome,
            reason=record.reason[:500],
            stores_succeeded=record.stores_succeeded,
            stores_failed=record.stores_failed,
            stores_duplicate=record.stores_duplicate,
            echoes=record.echoes,
            bytes_received=record.bytes_received,
        )
    except DatabaseError:
        log.exception("DICOM association from %s (%s, %s) not logged", record.peer_address,
                      record.calling_ae_title, record.outcome)
        connections.close_all()  # a broken connection is opened afresh next time


def prune(older_than_days: int) -> int:
    """Delete association rows older than the retention period."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = DicomAssociation.objects.filter(started_at__lt=cutoff).delete()
    return deleted


def summary(rows) -> dict:
    """Associations, those with a problem, and instances stored, over `rows` (one query)."""
    figures = rows.aggregate(associations=Count("id"), problems=Count("id", filter=PROBLEM),
                             instances=Sum("stores_succeeded"),
                             duplicates=Sum("stores_duplicate"),
                             failed_stores=Sum("stores_failed"))
    return {name: value or 0 for name, value in figures.items()}
