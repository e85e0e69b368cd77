"""Plain values the outside world hands to clinical services.

Interface code (HL7 handlers, portal forms, FHIR) translates its own format into these;
services never see segments or requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class IdentifierData:
    value: str
    assigning_authority: str = ""
    type_code: str = ""


@dataclass
class PatientData:
    identifiers: list[IdentifierData]
    family_name: str = ""
    given_name: str = ""
    middle_name: str = ""
    name_prefix: str = ""
    name_suffix: str = ""
    birth_date: date | None = None
    sex: str = ""
    phones: list[str] = field(default_factory=list)
    email: str = ""
    address_line: str = ""
    address_city: str = ""
    address_state: str = ""
    address_postal_code: str = ""
    address_country: str = ""


@dataclass(frozen=True)
class PractitionerData:
    identifier: str
    assigning_authority: str = ""
    family_name: str = ""
    given_name: str = ""
    prefix: str = ""
    suffix: str = ""


@dataclass
class OrderData:
    accession_number: str
    patient: PatientData | None
    placer_order_number: str = ""
    filler_order_number: str = ""
    procedure_code: str = ""
    procedure_text: str = ""
    procedure_coding_system: str = ""
    modality: str = ""
    priority: str = ""
    scheduled_at: datetime | None = None
    reason: str = ""
    ordering_practitioner: PractitionerData | None = None
    copies_to: list[PractitionerData] = field(default_factory=list)
    location_code: str = ""
    location_name: str = ""
    study_instance_uid: str = ""


@dataclass
class ReportData:
    accession_number: str
    status: str  # a ReportStatus value
    text: str
    rendering: bytes | None = None
    rendering_type: str = ""
    radiologist: PractitionerData | None = None
    signed_at: datetime | None = None
    # Used to create the order when the report arrives before (or without) the order.
    order: OrderData | None = None


@dataclass
class AppointmentData:
    external_id: str
    patient: PatientData
    status: str  # an AppointmentStatus value
    placer_appointment_id: str = ""
    accession_number: str = ""
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    reason: str = ""
    service_code: str = ""
    service_text: str = ""
    location_code: str = ""
    location_name: str = ""
    practitioner: PractitionerData | None = None


@dataclass
class DocumentData:
    unique_id: str
    patient: PatientData
    accession_number: str = ""
    document_type: str = ""
    status: str = ""
    title: str = ""
    text: str = ""
    content: bytes | None = None
    content_type: str = ""
    authored_at: datetime | None = None
