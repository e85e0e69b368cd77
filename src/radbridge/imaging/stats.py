"""Figures for operators (`radbridge dicom stats`): what is stored, matched, rendered."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from .models import Instance, Study


def imaging_stats() -> dict:
    since = timezone.now() - timedelta(hours=24)
    totals = Instance.objects.aggregate(instances=Count("id"), bytes=Sum("file_size"))
    return {
        "studies": Study.objects.count(),
        "studies_by_reconciliation": dict(
            Study.objects.values_list("reconciliation").annotate(n=Count("id"))),
        "studies_by_availability": dict(
            Study.objects.values_list("availability").annotate(n=Count("id"))),
        "instances": totals["instances"],
        "stored_bytes": totals["bytes"] or 0,
        "instances_last_24h": Instance.objects.filter(received_at__gte=since).count(),
        "instances_by_sender_last_24h": dict(
            Instance.objects.filter(received_at__gte=since)
            .values_list("received_from").annotate(n=Count("id"))),
        "renderings": dict(Instance.objects.values_list("render_state").annotate(n=Count("id"))),
    }
