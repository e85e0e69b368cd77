"""Interface figures from the journal: messages per type and status, timings, errors."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from .models import InboundMessage, OutboundMessage


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def inbound_stats(since: datetime | None = None, sample: int = 100_000) -> dict:
    rows = InboundMessage.objects.all()
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    by_type_status = list(
        rows.values("message_type", "status")
        .annotate(count=Count("id"))
        .order_by("message_type", "status")
    )
    timings = sorted(
        value
        for value in rows.order_by("-id").values_list("processing_ms", flat=True)[:sample]
        if value is not None
    )
    return {
        "total": sum(row["count"] for row in by_type_status),
        "by_type_status": by_type_status,
        "errors": rows.filter(status__in=("failed", "rejected")).count(),
        "control_id_reused": rows.filter(control_id_reused=True).count(),
        "processing_ms_p50": percentile(timings, 0.50),
        "processing_ms_p95": percentile(timings, 0.95),
        "outbound": dict(OutboundMessage.objects.values_list("status").annotate(count=Count("id"))),
    }
