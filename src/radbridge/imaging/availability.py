"""When a study's images have all arrived: announce `images.available`, once per study.

A study is complete when no instance arrived for DICOM_STUDY_QUIET_SECONDS, or when as many
instances arrived as the sender announced (Number of Study Related Instances). Only studies
linked to an order or patient are announced (an unmatched one waits for reconciliation).
The announcement is a conditional state change (receiving -> available) committed with its
outbox event, so it happens once per study, whichever worker sees it first and across
restarts; instances arriving later are indexed but announce nothing again.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from radbridge.clinical.choices import Priority
from radbridge.clinical.services import record_images_available
from radbridge.core import audit, outbox

from .choices import Availability, Reconciliation
from .models import Study


def complete(now) -> Q:
    quiet_since = now - timedelta(seconds=settings.DICOM_STUDY_QUIET_SECONDS)
    return Q(last_received_at__lte=quiet_since) | Q(
        expected_instance_count__isnull=False, instance_count__gte=F("expected_instance_count")
    )


def ready_studies(now):
    return Study.objects.filter(
        complete(now),
        availability=Availability.RECEIVING,
        reconciliation=Reconciliation.MATCHED,
        instance_count__gt=0,
    )


def release_quiet_studies(limit: int = 100) -> int:
    """Periodic job: announce every study that became complete; returns how many."""
    now = timezone.now()
    ids = list(ready_studies(now).values_list("id", flat=True)[:limit])
    return sum(announce_available(study_id, now) for study_id in ids)


@transaction.atomic
def announce_available(study_id: int, now) -> bool:
    """Move one study to available and emit images.available, if nobody did it already."""
    moved = ready_studies(now).filter(pk=study_id).update(
        availability=Availability.AVAILABLE, available_at=now
    )
    if not moved:
        return False
    study = Study.objects.select_related("order").get(pk=study_id)
    order = study.order
    if order is not None:
        record_images_available(order.id)
    outbox.emit(
        "images.available",
        "study",
        study.id,
        patient_id=study.patient_id,
        order_id=study.order_id,
        accession_number=order.accession_number if order else study.accession_number,
        modality=(order.modality if order and order.modality else study.modality_list[0]
                  if study.modality_list else ""),
        priority=order.priority if order else Priority.ROUTINE,
        study_instance_uid=study.study_instance_uid,
        instance_count=study.instance_count,
    )
    audit.record(
        "imaging.study.available", "study", study.id, patient_id=study.patient_id,
        instance_count=study.instance_count,
    )
    return True
