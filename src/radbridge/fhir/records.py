"""Stored clinical records → FHIR resources, with references to other stored resources.

The mapping modules say how a record's values read in FHIR; this module supplies what only
the database knows: ids, last-updated times, the version of a report, and the references
(`Patient/12`) between rows.
"""

from __future__ import annotations

from django.db.models import Prefetch

from radbridge.clinical.models import (
    Appointment,
    Location,
    Order,
    Organization,
    Patient,
    Practitioner,
    Report,
    ReportVersion,
)
from radbridge.imaging.models import Study
from radbridge.scheduling.availability import slot_key

from .mapping import appointment, diagnostic_report, directory, patient, service_request


def ref(resource_type: str, resource_id: object) -> str | None:
    return f"{resource_type}/{resource_id}" if resource_id is not None else None


def patient_resource(record: Patient) -> dict:
    return patient.patient(
        record,
        record.identifiers.all(),
        resource_id=record.pk,
        last_updated=record.updated_at,
        replaced_by=ref("Patient", record.merged_into_id),
    )


def service_request_resource(order: Order) -> dict:
    return service_request.service_request(
        order,
        status=service_request.STATUS.get(order.status, "unknown"),
        subject=ref("Patient", order.patient_id),
        resource_id=order.pk,
        last_updated=order.updated_at,
        authored_on=order.created_at,
        requester=ref("Practitioner", order.ordering_practitioner_id),
        location=ref("Location", order.location_id),
    )


def current_version(report: Report) -> ReportVersion:
    """The version the report stands on: the newest one with the report's status (a late
    preliminary after a final is kept as history but does not replace the final)."""
    versions = list(report.versions.all())  # prefetched newest first, see REPORT_VERSIONS
    matching = [v for v in versions if v.status == report.status]
    return (matching or versions)[0]


REPORT_VERSIONS = Prefetch("versions", queryset=ReportVersion.objects.order_by("-number"))
# The studies (imaging index) of a report's order: DiagnosticReport.imagingStudy.
ORDER_STUDIES = Prefetch("order__studies", queryset=Study.objects.only("id", "order_id"))


def study_references(order: Order) -> list[dict]:
    """ImagingStudy/<id> for each study received for the order; before any has arrived, a
    logical reference by the Study Instance UID the RIS announced (if it did)."""
    stored = [{"reference": f"ImagingStudy/{study.pk}"} for study in order.studies.all()]
    if stored:
        return stored
    by_uid = diagnostic_report.study_reference_by_uid(order.study_instance_uid)
    return [by_uid] if by_uid else []


def diagnostic_report_resource(report: Report, version: ReportVersion | None = None) -> dict:
    """The report as it stands, or as it was at `version` (for _history)."""
    as_of = version or current_version(report)
    order = report.order
    return diagnostic_report.diagnostic_report(
        order,
        as_of,
        subject=ref("Patient", order.patient_id),
        resource_id=report.pk,
        version_id=as_of.number,
        last_updated=as_of.created_at if version else report.updated_at,
        issued=as_of.signed_at or as_of.created_at,
        based_on=ref("ServiceRequest", order.pk),
        interpreter=ref("Practitioner", as_of.radiologist_id),
        imaging_studies=study_references(order),
    )


def appointment_resource(record: Appointment) -> dict:
    return appointment.appointment(
        record,
        patient=ref("Patient", record.patient_id),
        resource_id=record.pk,
        last_updated=record.updated_at,
        practitioner=ref("Practitioner", record.practitioner_id),
        location=ref("Location", record.location_id),
        based_on=ref("ServiceRequest", record.order_id),
        slot=booked_slot(record),
    )


def booked_slot(record: Appointment) -> str | None:
    """The Slot a booking made here holds (rows come with select_related("booking"))."""
    booking = getattr(record, "booking", None)  # no booking: the RIS booked it
    return f"Slot/{slot_key(booking.schedule_id, booking.starts_at)}" if booking else None


def practitioner_resource(record: Practitioner) -> dict:
    return directory.practitioner(record, resource_id=record.pk, last_updated=record.updated_at)


def location_resource(record: Location) -> dict:
    return directory.location(
        record.code,
        record.name,
        resource_id=record.pk,
        last_updated=record.updated_at,
        organization=ref("Organization", record.organization_id),
    )


def organization_resource(record: Organization) -> dict:
    return directory.organization(record, resource_id=record.pk, last_updated=record.updated_at)
