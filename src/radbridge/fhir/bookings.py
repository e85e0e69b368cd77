"""POST Appointment: book a free Slot for a patient, through the scheduling app's verb.

The body names one Slot (`slot`), the patient (a `participant` whose actor is Patient/<id>),
optionally the order (`basedOn` ServiceRequest/<id>), the procedure (`serviceType`) and a
reason. The caller needs `scheduling.book_slot` (role table) and an Appointment write scope;
a patient the caller may not book for reads as unknown (404), like any record they may not
see. A slot someone else holds is a 409 conflict; every other rule broken is a 422 naming
the element. The booking is an `appointment.booked` event, sent on to the RIS as SIU^S12.
"""

from __future__ import annotations

from radbridge.clinical.models import Appointment
from radbridge.scheduling.availability import parse_slot_key
from radbridge.scheduling.errors import SchedulingError, SlotTakenError
from radbridge.scheduling.models import Schedule
from radbridge.scheduling.permissions import BOOK_SLOT, bookable_orders, bookable_patients
from radbridge.scheduling.services import book_slot

from .outcomes import FHIRError
from .parsing import parse_fhir_datetime
from .search import split_token

BOOKABLE_STATUSES = {"booked", "proposed", "pending"}
ELEMENT_OF_FIELD = {
    "start": "Appointment.slot",
    "schedule": "Appointment.slot",
    "order": "Appointment.basedOn",
    "service": "Appointment.serviceType",
}


def invalid(expression: str, text: str) -> FHIRError:
    return FHIRError(422, "processing", text, expression)


def reference_key(reference: object, type_name: str, expression: str) -> str:
    text = reference.get("reference", "") if isinstance(reference, dict) else ""
    kind, _, key = text.rpartition("/")
    if kind.rsplit("/", 1)[-1] != type_name or not key:
        raise invalid(expression, f"{expression} must be a reference to {type_name}/<id>")
    return key


def chosen_slot(body: dict) -> tuple[Schedule, object]:
    refs = body.get("slot") or []
    if len(refs) != 1:
        raise invalid("Appointment.slot", "name exactly one Slot to book (Appointment.slot)")
    key = reference_key(refs[0], "Slot", "Appointment.slot")
    try:
        schedule_id, start = parse_slot_key(key)
    except ValueError:
        raise invalid("Appointment.slot", f"Slot/{key} is not a slot id of this server") from None
    schedule = Schedule.objects.filter(pk=schedule_id, active=True).first()
    if schedule is None:
        raise invalid("Appointment.slot", f"Slot/{key} belongs to no active schedule")
    if body.get("start") and parse_fhir_datetime(body["start"], "Appointment.start") != start:
        raise invalid("Appointment.start", "start differs from the slot's start: leave it out")
    return schedule, start


def chosen_patient(user, body: dict):
    keys = [
        reference_key(p.get("actor"), "Patient", "Appointment.participant")
        for p in body.get("participant") or []
        if "Patient/" in ((p.get("actor") or {}).get("reference") or "")
    ]
    if len(keys) != 1:
        raise invalid(
            "Appointment.participant", "name exactly one participant whose actor is Patient/<id>"
        )
    patient = (
        bookable_patients(user).filter(pk=int(keys[0])).first() if keys[0].isdigit() else None
    )
    if patient is None:
        raise FHIRError(
            404,
            "not-found",
            f"Patient/{keys[0]} is not known here (or you may not book for them)",
            "Appointment.participant",
        )
    return patient


def chosen_order(user, body: dict):
    refs = body.get("basedOn") or []
    if not refs:
        return None
    key = reference_key(refs[0], "ServiceRequest", "Appointment.basedOn")
    order = bookable_orders(user).filter(pk=int(key)).first() if key.isdigit() else None
    if order is None:
        raise invalid(
            "Appointment.basedOn", f"ServiceRequest/{key} is not known here (or not visible)"
        )
    return order


def service_code(body: dict) -> str:
    for concept in body.get("serviceType") or []:
        for coding in concept.get("coding") or []:
            if coding.get("code"):
                return split_token(coding["code"])[1][:100]
    return ""


def create_appointment(user, body: dict) -> tuple[Appointment, bool]:
    if not user.has_perm(BOOK_SLOT):
        raise FHIRError(403, "forbidden", f"your account may not book appointments ({BOOK_SLOT})")
    if body.get("status") not in BOOKABLE_STATUSES:
        raise invalid(
            "Appointment.status", "status must be booked (or proposed/pending) to book a slot"
        )
    schedule, start = chosen_slot(body)
    patient = chosen_patient(user, body)
    order = chosen_order(user, body)
    reason = ((body.get("reasonCode") or [{}])[0].get("text") or body.get("comment") or "")
    try:
        appointment = book_slot(
            schedule, start, patient, order=order, procedure_code=service_code(body),
            reason=reason,
        )
    except SlotTakenError as error:
        raise FHIRError(409, "conflict", str(error), "Appointment.slot") from None
    except SchedulingError as error:
        raise invalid(ELEMENT_OF_FIELD.get(error.field, "Appointment"), str(error)) from None
    return appointment, True
