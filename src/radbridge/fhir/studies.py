"""The imaging app's index (Study / Series / Instance) served as FHIR ImagingStudy.

`mapping/imaging_study.py` says how a study reads in FHIR, against a small protocol; this
module fits the imaging app's rows to it (descriptions, body part, the start of the study
from DICOM's Study Date and Time in the centre's time zone), and supplies the search
conditions only the index can answer: Study Instance UID and accession identifiers, and
modality (any series of that modality).

A study is served once it belongs to a patient (a matching rule or a person linked it to an
order); until then it waits in reconciliation and has no subject, which FHIR requires. Its
status is `available` once the imaging app announced it complete (`images.available`),
`registered` while instances are still arriving. The contained Endpoint points at RadBridge's
own DICOMweb service (`/dicomweb`), where the same user sees the same studies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from radbridge.imaging.choices import Availability
from radbridge.imaging.models import Instance, Series, Study

from .identifiers import DICOM_UID_SYSTEM, accession_system
from .mapping.common import CODE_SYSTEMS
from .mapping.imaging_study import imaging_study

NOTHING = Q(pk__in=[])
DICOM_TIME = re.compile(r"^(\d{2})(\d{2})?(\d{2})?")


@dataclass(frozen=True)
class InstanceView:
    sop_instance_uid: str
    sop_class_uid: str
    instance_number: int | None


@dataclass(frozen=True)
class SeriesView:
    series_instance_uid: str
    modality: str
    series_number: int | None
    description: str
    body_part: str
    instances: tuple[InstanceView, ...]


@dataclass(frozen=True)
class StudyView:
    study_instance_uid: str
    accession_number: str
    started_at: datetime | None
    description: str
    series: tuple[SeriesView, ...]


def started_at(study: Study) -> datetime | None:
    """Study Date and Time (DICOM DA/TM, local to the centre) as an aware datetime."""
    if study.study_date is None:
        return None
    match = DICOM_TIME.match(study.study_time or "")
    clock = time(0)
    if match:
        hour, minute, second = (int(part or 0) for part in match.groups())
        if hour < 24 and minute < 60 and second < 60:
            clock = time(hour, minute, second)
    return timezone.make_aware(datetime.combine(study.study_date, clock))


def study_view(study: Study) -> StudyView:
    """The study as the mapping reads it; series and instances as prefetched by study_rows."""
    order = study.order
    return StudyView(
        study_instance_uid=study.study_instance_uid,
        # The order's number when linked: a study matched by patient, date and modality may
        # carry none, or the modality's own.
        accession_number=order.accession_number if order else study.accession_number,
        started_at=started_at(study),
        description=study.study_description,
        series=tuple(
            SeriesView(
                series_instance_uid=series.series_instance_uid,
                modality=series.modality,
                series_number=series.series_number,
                description=series.series_description,
                body_part=series.body_part_examined,
                instances=tuple(
                    InstanceView(i.sop_instance_uid, i.sop_class_uid, i.instance_number)
                    for i in series.instances.all()
                ),
            )
            for series in study.series.all()
        ),
    )


def dicomweb_address() -> str:
    """RadBridge's own DICOMweb service, beside the FHIR API on the same web server."""
    if settings.FHIR_BASE_URL.endswith("/fhir"):
        return settings.FHIR_BASE_URL[: -len("/fhir")] + "/dicomweb"
    return f"{settings.PUBLIC_URL}/dicomweb"


def imaging_study_resource(study: Study) -> dict:
    return imaging_study(
        study_view(study),
        subject=f"Patient/{study.patient_id}",
        dicomweb_address=dicomweb_address(),
        resource_id=study.pk,
        last_updated=study.updated_at,
        based_on=f"ServiceRequest/{study.order_id}" if study.order_id else None,
        status="available" if study.availability == Availability.AVAILABLE else "registered",
    )


def study_rows() -> QuerySet:
    """Studies that belong to a patient, with what the resource shows, in a few queries."""
    instances = Instance.objects.only(
        "series_id", "sop_instance_uid", "sop_class_uid", "instance_number"
    ).order_by("instance_number", "pk")
    series = Series.objects.order_by("series_number", "pk").prefetch_related(
        Prefetch("instances", queryset=instances)
    )
    return (
        Study.objects.filter(patient__isnull=False)
        .select_related("order")
        .prefetch_related(Prefetch("series", queryset=series))
    )


def study_identifier(system: str | None, code: str) -> Q:
    """`urn:dicom:uid|urn:oid:<Study Instance UID>` (the bare UID too), the accession number
    under the accession system, or either without a system."""
    if not code:
        return NOTHING
    uid = code.removeprefix("urn:oid:")
    by_uid = Q(study_instance_uid=uid)
    by_accession = Q(order__accession_number=code) | Q(
        order__isnull=True, accession_number=code
    )
    if system is None:
        return by_uid | by_accession
    if system == DICOM_UID_SYSTEM:
        return by_uid
    if system == accession_system():
        return by_accession
    return NOTHING


def modality(system: str | None, code: str) -> Q:
    """Studies with a series of this modality (DICOM code, system DCM or none)."""
    if not code or system not in (None, "", CODE_SYSTEMS["DCM"]):
        return NOTHING
    return Q(pk__in=Series.objects.filter(modality=code).values("study_id"))


def studies_of_report(report) -> list[int]:
    """The studies of a report's order (prefetched `order__studies`), for `_include`."""
    return [study.pk for study in report.order.studies.all()]
