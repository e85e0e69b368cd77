"""Figures for operators (`radbridge dicom stats`): what is stored, matched, rendered, and
how the last day's associations went."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from .associations import summary
from .models import DicomAssociation, Instance, Study


def imaging_stats() -> dict:
    since = timezone.now() - timedelta(hours=24)
    recent_associations = DicomAssociation.objects.filter(started_at__gte=since)
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
        "associations_last_24h": summary(recent_associations),
        "associations_by_outcome_last_24h": dict(
            recent_associations.values_list("outcome").annotate(n=Count("id"))),
    }
