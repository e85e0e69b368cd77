"""Orders placed in the portal, from the order form or an uploaded HL7 ORM file.

Both end in the clinical `place_order` service, whose `order.placed` event the hl7 app's
outbound sender turns into ORM^O01 for the RIS. Who may order for whom is one rule,
`accounts.permissions.orderable_patients`, shared with FHIR's POST ServiceRequest; a referring
physician always orders in their own name. An uploaded message only chooses among records the
user may already order for: its PID never changes a patient's demographics, and it cannot
create locations or copy other practitioners in.
"""

from __future__ import annotations

import dataclasses
import secrets

from django.db import transaction
from django.utils import timezone

from radbridge.accounts.permissions import orderable_patients, ordering_practitioner
from radbridge.clinical import services
from radbridge.clinical.data import (
    DocumentData,
    IdentifierData,
    OrderData,
    PatientData,
    PractitionerData,
)
from radbridge.clinical.models import Order, Patient, Practitioner
from radbridge.hl7.handlers import orders as orm
from radbridge.hl7.wire import HL7Error, decode_message, parse_message

from .order_forms import PROCEDURE_BY_CODE, locations_for, site_limited

ORDER_MESSAGE_TYPES = {"ORM", "OMI", "OMG"}
PROCEDURE_CODING_SYSTEM = "RADBRIDGE"


class OrderUploadError(ValueError):
    """An uploaded order file that cannot be placed; the text says what and how to fix it."""


def new_accession_number() -> str:
    return f"RB{secrets.token_hex(6).upper()}"


def patient_reference(patient: Patient) -> PatientData:
    """The patient by identifiers only, so placing the order changes nothing about them."""
    return PatientData([IdentifierData(i.value, i.assigning_authority, i.type_code)
                        for i in patient.identifiers.all()])


def practitioner_reference(doctor: Practitioner) -> PractitionerData:
    return PractitionerData(doctor.identifier, doctor.assigning_authority, doctor.family_name,
                            doctor.given_name)


def own_name(user) -> PractitionerData | None:
    doctor = ordering_practitioner(user)
    return practitioner_reference(doctor) if doctor is not None else None


def named_requester(named: PractitionerData | None) -> PractitionerData | None:
    """The ordering provider an upload names, as already known here: an upload neither
    creates practitioners nor renames them."""
    if named is None:
        return None
    known = Practitioner.objects.filter(
        identifier=named.identifier, assigning_authority=named.assigning_authority
    ).first() if named.identifier else None
    if known is None:
        raise OrderUploadError(
            f"ORC-12 / OBR-16: the ordering provider {named.identifier or named.family_name!r} "
            "is not known here. Use the identifier the centre has for the doctor, or leave "
            "the field empty.")
    return practitioner_reference(known)


@transaction.atomic
def place_from_form(user, cleaned: dict) -> Order:
    """Place the order of a valid OrderForm and keep its attachments with it."""
    name, modality = PROCEDURE_BY_CODE[cleaned["procedure"]]
    patient = cleaned["patient"]
    accession = new_accession_number()
    order = services.place_order(OrderData(
        accession_number=accession, patient=patient_reference(patient),
        placer_order_number=accession, procedure_code=cleaned["procedure"],
        procedure_text=name, procedure_coding_system=PROCEDURE_CODING_SYSTEM,
        modality=modality, priority=cleaned["priority"], reason=cleaned["indication"],
        ordering_practitioner=own_name(user),
        **({"location_code": cleaned["location"].code, "location_name": cleaned["location"].name}
           if cleaned.get("location") else {}),
    ))
    for number, (upload, content_type) in enumerate(cleaned.get("attachments") or [], 1):
        services.attach_document(DocumentData(
            unique_id=f"{accession}-attachment-{number}", patient=patient_reference(patient),
            accession_number=accession, document_type="order attachment", status="final",
            title=(upload.name or f"attachment {number}")[:300], content=upload.read(),
            content_type=content_type, authored_at=timezone.now(),
        ))
    return order


def read_order_message(raw: bytes):
    """The parsed message of an uploaded file, or OrderUploadError saying what is wrong."""
    raw = raw.strip(b"\x0b\x1c\r\n\t ")  # a capture may keep its MLLP frame
    if not raw:
        raise OrderUploadError("The file is empty: upload an HL7 ORM^O01 message.")
    if b"\x00" in raw:
        raise OrderUploadError(
            "The file is not text (it holds binary data): upload the HL7 message as the text "
            "file your EHR exports (.hl7 or .txt).")
    try:
        message = parse_message(decode_message(raw).text)
    except HL7Error as error:
        raise OrderUploadError(f"The file is not a readable HL7 message ({error}).") from None
    if message.message_code.upper() not in ORDER_MESSAGE_TYPES:
        raise OrderUploadError(
            f"The message type (MSH-9) is {message.message_type or 'empty'}: upload an "
            "order message, ORM^O01.")
    if len(message.segments_named("MSH")) > 1:
        raise OrderUploadError("The file holds more than one message: upload one at a time.")
    return message


def checked_order(user, command: orm.OrderCommand) -> OrderData:
    data = command.data
    if command.cancel or command.status_code is not None:
        raise OrderUploadError(
            f"Order {data.accession_number}: ORC-1 (order control) is not NW. Only new orders "
            "can be uploaded; cancel or change orders with the centre.")
    patient = services.find_patient(data.patient.identifiers)
    if patient is None or not orderable_patients(user).filter(pk=patient.pk).exists():
        shown = ", ".join(i.value for i in data.patient.identifiers)
        raise OrderUploadError(
            f"PID-3: patient {shown} is not known here or not one you may order for. Place the "
            "order with the form, or ask the centre to register the patient.")
    if Order.objects.filter(accession_number=data.accession_number).exists():
        raise OrderUploadError(
            f"Order number {data.accession_number} (OBR-18 / ORC-2) is already used by another "
            "order: give this order a new number.")
    if len(data.accession_number) > 64:
        raise OrderUploadError("The order number (OBR-18 / ORC-2) is longer than 64 characters.")
    return dataclasses.replace(
        data, patient=patient_reference(patient), filler_order_number="", copies_to=[],
        study_instance_uid="", **known_site(user, data.location_code),
        ordering_practitioner=own_name(user) or named_requester(data.ordering_practitioner),
        procedure_code=data.procedure_code[:100], procedure_text=data.procedure_text[:300],
        procedure_coding_system=data.procedure_coding_system[:50],
        placer_order_number=data.placer_order_number[:100],
    )


def known_site(user, code: str) -> dict:
    """PV1-3's location when it is one already known here (and one of a site-limited staff
    member's own); an upload never creates locations."""
    location = locations_for(user).filter(code=code).first() if code else None
    if location is None and site_limited(user):
        raise OrderUploadError(
            f"PV1-3 (assigned patient location) is {code or 'empty'}: name one of your sites' "
            "location codes, so that you can follow the order.")
    if location is None:
        return {"location_code": "", "location_name": ""}
    return {"location_code": location.code, "location_name": location.name}


@transaction.atomic
def place_from_upload(user, raw: bytes) -> list[Order]:
    """Place every order of an uploaded ORM message, all or none."""
    message = read_order_message(raw)
    try:
        commands = orm.extract(message)
    except HL7Error as error:
        raise OrderUploadError(f"The order cannot be read: {error}.") from None
    return [services.place_order(checked_order(user, command)) for command in commands]
