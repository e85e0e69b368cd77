"""What the REST API serves: per resource type, its rows, who may see them, how a row reads
as FHIR, its search parameters, sort keys and `_include`s.

Resources holding PHI (Patient, ServiceRequest, DiagnosticReport, ImagingStudy, Appointment)
are always read through `restrict(user, "view")`; the directory (Practitioner, Organization,
Location) is visible to any authenticated caller. ImagingStudy is the imaging app's index
(see `studies.py`). Schedule is the scheduling app's table, visible to any signed-in
caller like the directory; Slots are computed, not stored, and searched by `slots.py`.
POST Appointment books a free slot (`bookings.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from radbridge.clinical.models import (
    Appointment,
    Location,
    Order,
    Organization,
    Patient,
    PatientIdentifier,
    Practitioner,
    Report,
)
from radbridge.scheduling.models import Schedule

from . import records, studies
from .identifiers import (
    APPOINTMENT_SYSTEM,
    FILLER_ORDER_SYSTEM,
    LOCATION_SYSTEM,
    ORGANIZATION_SYSTEM,
    PLACER_APPOINTMENT_SYSTEM,
    PLACER_ORDER_SYSTEM,
    accession_system,
    authority_of,
)
from .mapping.common import coding_system_name
from .mapping.patient import SEX_OF_GENDER
from .mapping.schedule import SCHEDULE_SYSTEM, schedule_resource
from .mapping.service_request import STATUS as ORDER_STATUS
from .search import (
    Param,
    any_of,
    code_token,
    date_param,
    id_param,
    reference_param,
    string_param,
    token_param,
)

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class Include:
    target: str  # the included resource type
    ids: Callable[[object], object]  # the referenced id of one matched row (or None)
    many: bool = False  # `ids` gives a list of ids (a report's studies)


@dataclass
class Served:
    name: str
    rows: Callable[[], QuerySet]
    to_fhir: Callable[[object], dict]
    params: dict[str, Param]
    phi: bool = True
    patient_of: Callable[[object], int | None] = lambda row: None
    sorts: dict[str, str] = field(default_factory=dict)
    includes: dict[str, Include] = field(default_factory=dict)
    versioned: bool = False
    create: bool = False

    def visible(self, user) -> QuerySet:
        """Deny by default: PHI through the permission rules, the directory to any user."""
        rows = self.rows()
        if self.phi:
            return rows.restrict(user, "view")
        return rows if getattr(user, "is_authenticated", False) else rows.none()


def common(updated_field: str = "updated_at") -> dict[str, Param]:
    return {
        "_id": id_param(),
        "_lastUpdated": date_param(updated_field, name="_lastUpdated"),
    }


def code_match(field_prefix: str) -> Param:
    """A procedure code, optionally with its system (`http://loinc.org|36643-5`)."""

    def match(system: str | None, code: str) -> Q:
        query = Q(**{f"{field_prefix}procedure_code": code}) if code else Q()
        if system is not None:
            query &= Q(**{f"{field_prefix}procedure_coding_system": coding_system_name(system)})
        return query

    return token_param(match)


def system_identifier(fields_by_system: Callable[[], dict[str, str]]) -> Param:
    """An identifier kept in plain fields, each field under one system; no system given:
    any of the fields."""

    def match(system: str | None, code: str) -> Q:
        fields = fields_by_system()
        if not code:
            return NOTHING
        if system is None:
            return any_of([Q(**{name: code}) for name in fields.values()])
        name = fields.get(system)
        return Q(**{name: code}) if name else NOTHING

    return token_param(match)


def order_identifier(prefix: str = "") -> Param:
    return system_identifier(
        lambda: {
            accession_system(): f"{prefix}accession_number",
            PLACER_ORDER_SYSTEM: f"{prefix}placer_order_number",
            FILLER_ORDER_SYSTEM: f"{prefix}filler_order_number",
        }
    )


def patient_identifier(system: str | None, code: str) -> Q:
    rows = PatientIdentifier.objects.all()
    if code:
        rows = rows.filter(value=code)
    if system is not None:
        rows = rows.filter(assigning_authority=authority_of(system))
    elif not code:
        return NOTHING
    return Q(pk__in=rows.values("patient_id"))


def practitioner_identifier(system: str | None, code: str) -> Q:
    query = Q(identifier=code) if code else Q()
    if system is not None:
        query &= Q(assigning_authority=authority_of(system))
    return query & ~Q(identifier__startswith="name:")


SERVICE_REQUEST_STATUS = {
    fhir: [ours for ours, mapped in ORDER_STATUS.items() if mapped == fhir]
    for fhir in set(ORDER_STATUS.values())
}
GENDER = {gender: [sex] for gender, sex in SEX_OF_GENDER.items()}


def patient_rows() -> QuerySet:
    return Patient.objects.prefetch_related("identifiers")


def report_rows() -> QuerySet:
    return Report.objects.select_related("order").prefetch_related(
        records.REPORT_VERSIONS, records.ORDER_STUDIES
    )


PATIENT = Served(
    "Patient",
    patient_rows,
    records.patient_resource,
    {
        **common(),
        "identifier": token_param(patient_identifier),
        "name": string_param("family_name", "given_name", "middle_name"),
        "family": string_param("family_name"),
        "given": string_param("given_name", "middle_name"),
        "birthdate": date_param("birth_date", day_only=True, name="birthdate"),
        "gender": code_token("sex", GENDER),
    },
    patient_of=lambda row: row.pk,
    sorts={"family": "family_name", "given": "given_name", "birthdate": "birth_date"},
    create=True,
)

SERVICE_REQUEST = Served(
    "ServiceRequest",
    lambda: Order.objects.all(),
    records.service_request_resource,
    {
        **common(),
        "identifier": order_identifier(),
        "patient": reference_param("patient_id", "Patient", "patient"),
        "subject": reference_param("patient_id", "Patient", "subject"),
        "status": code_token("status", SERVICE_REQUEST_STATUS),
        "code": code_match(""),
        "authored": date_param("created_at", name="authored"),
        "occurrence": date_param("scheduled_at", name="occurrence"),
        "priority": code_token("priority"),
        "requester": reference_param("ordering_practitioner_id", "Practitioner", "requester"),
    },
    patient_of=lambda row: row.patient_id,
    sorts={"authored": "created_at", "occurrence": "scheduled_at"},
    includes={
        "ServiceRequest:patient": Include("Patient", lambda row: row.patient_id),
        "ServiceRequest:subject": Include("Patient", lambda row: row.patient_id),
        "ServiceRequest:requester": Include(
            "Practitioner", lambda row: row.ordering_practitioner_id
        ),
    },
    create=True,
)

DIAGNOSTIC_REPORT = Served(
    "DiagnosticReport",
    report_rows,
    records.diagnostic_report_resource,
    {
        **common(),
        "identifier": order_identifier("order__"),
        "patient": reference_param("order__patient_id", "Patient", "patient"),
        "subject": reference_param("order__patient_id", "Patient", "subject"),
        "status": code_token("status"),
        "code": code_match("order__"),
        "date": date_param("order__scheduled_at"),
        "based-on": reference_param("order_id", "ServiceRequest", "based-on"),
    },
    patient_of=lambda row: row.order.patient_id,
    sorts={"date": "order__scheduled_at"},
    includes={
        "DiagnosticReport:based-on": Include("ServiceRequest", lambda row: row.order_id),
        "DiagnosticReport:patient": Include("Patient", lambda row: row.order.patient_id),
        "DiagnosticReport:subject": Include("Patient", lambda row: row.order.patient_id),
        "DiagnosticReport:results-interpreter": Include(
            "Practitioner", lambda row: records.current_version(row).radiologist_id
        ),
        "DiagnosticReport:imaging-study": Include(
            "ImagingStudy", studies.studies_of_report, many=True
        ),
    },
    versioned=True,
)

IMAGING_STUDY = Served(
    "ImagingStudy",
    studies.study_rows,
    studies.imaging_study_resource,
    {
        **common(),
        "identifier": token_param(
            studies.study_identifier,
            documentation="Study Instance UID (urn:dicom:uid|urn:oid:<uid>) or accession",
        ),
        "patient": reference_param("patient_id", "Patient", "patient"),
        "subject": reference_param("patient_id", "Patient", "subject"),
        "started": date_param(
            "study_date", day_only=True, name="started",
            documentation="matched by day: DICOM's Study Date (the time is not indexed)",
        ),
        "modality": token_param(studies.modality, documentation="any series of the modality"),
        "basedon": reference_param("order_id", "ServiceRequest", "basedon"),
    },
    patient_of=lambda row: row.patient_id,
    sorts={"started": "study_date"},
    includes={
        "ImagingStudy:patient": Include("Patient", lambda row: row.patient_id),
        "ImagingStudy:subject": Include("Patient", lambda row: row.patient_id),
        "ImagingStudy:basedon": Include("ServiceRequest", lambda row: row.order_id),
    },
)

APPOINTMENT = Served(
    "Appointment",
    lambda: Appointment.objects.select_related("booking"),
    records.appointment_resource,
    {
        **common(),
        "identifier": system_identifier(
            lambda: {
                APPOINTMENT_SYSTEM: "external_id",
                PLACER_APPOINTMENT_SYSTEM: "placer_appointment_id",
            }
        ),
        "patient": reference_param("patient_id", "Patient", "patient"),
        "practitioner": reference_param("practitioner_id", "Practitioner", "practitioner"),
        "location": reference_param("location_id", "Location", "location"),
        "based-on": reference_param("order_id", "ServiceRequest", "based-on"),
        "status": code_token("status"),
        "date": date_param("starts_at"),
        "service-type": code_token("service_code"),
    },
    patient_of=lambda row: row.patient_id,
    sorts={"date": "starts_at"},
    includes={"Appointment:patient": Include("Patient", lambda row: row.patient_id)},
    create=True,
)


def schedule_service(system: str | None, code: str) -> Q:
    """Schedules performing a procedure code (or, with no codes listed, of that modality);
    the codes are a short JSON list per schedule, matched here rather than in SQL."""
    performs = [
        schedule.pk
        for schedule in Schedule.objects.only("pk", "modality", "procedure_codes")
        if code in schedule.procedure_codes
        or (not schedule.procedure_codes and schedule.modality == code)
    ]
    return Q(pk__in=performs)


SCHEDULE = Served(
    "Schedule",
    lambda: Schedule.objects.select_related("location"),
    schedule_resource,
    {
        **common(),
        "identifier": system_identifier(lambda: {SCHEDULE_SYSTEM: "code"}),
        "actor": reference_param("location_id", "Location", "actor"),
        "active": code_token("active", {"true": [True], "false": [False]}),
        "service-type": token_param(schedule_service),
    },
    phi=False,
    includes={"Schedule:actor": Include("Location", lambda row: row.location_id)},
)

PRACTITIONER = Served(
    "Practitioner",
    lambda: Practitioner.objects.all(),
    records.practitioner_resource,
    {
        **common(),
        "identifier": token_param(practitioner_identifier),
        "name": string_param("family_name", "given_name"),
        "family": string_param("family_name"),
        "given": string_param("given_name"),
    },
    phi=False,
    sorts={"family": "family_name"},
)

ORGANIZATION = Served(
    "Organization",
    lambda: Organization.objects.all(),
    records.organization_resource,
    {
        **common(),
        "identifier": system_identifier(lambda: {ORGANIZATION_SYSTEM: "identifier"}),
        "name": string_param("name"),
    },
    phi=False,
    sorts={"name": "name"},
)

LOCATION = Served(
    "Location",
    lambda: Location.objects.all(),
    records.location_resource,
    {
        **common(),
        "identifier": system_identifier(lambda: {LOCATION_SYSTEM: "code"}),
        "name": string_param("name", "code"),
        "organization": reference_param("organization_id", "Organization", "organization"),
    },
    phi=False,
    sorts={"name": "name"},
)

SERVED = {
    spec.name: spec
    for spec in (
        PATIENT,
        PRACTITIONER,
        ORGANIZATION,
        LOCATION,
        SERVICE_REQUEST,
        DIAGNOSTIC_REPORT,
        IMAGING_STUDY,
        APPOINTMENT,
        SCHEDULE,
    )
}
# Known FHIR resource types this server does not serve (yet), with the reason, so a
# client gets a clear answer instead of a bare 404.
NOT_SERVED: dict[str, str] = {}
