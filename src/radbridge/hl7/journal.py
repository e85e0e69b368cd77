"""Operator actions on the journal: replay failed messages, prune old ones."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from radbridge.core import audit

from .choices import InboundStatus
from .ingest import apply_one
from .models import InboundMessage


def replay(journal_ids: list[int]) -> dict[int, str]:
    """Apply failed or rejected messages again; returns each message's new status."""
    results = {}
    for journal_id in journal_ids:
        apply_one(journal_id, replay=True)
        row = InboundMessage.objects.filter(id=journal_id).only("status", "error").first()
        results[journal_id] = row.status if row else "missing"
        audit.record(
            "hl7.replayed",
            "hl7_message",
            journal_id,
            outcome=results[journal_id],
            error=row.error if row else "",
        )
    return results


def failed_ids(limit: int = 1000) -> list[int]:
    return list(
        InboundMessage.objects.filter(status=InboundStatus.FAILED)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def prune(older_than_days: int) -> int:
    """Delete journal rows older than the retention period; failed ones are kept."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = (
        InboundMessage.objects.filter(received_at__lt=cutoff)
        .exclude(status=InboundStatus.FAILED)
        .delete()
    )
    return deleted
