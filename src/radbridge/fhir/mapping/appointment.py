"""SCH/AIS/AIL/AIP → Appointment (V2-to-FHIR "SCH[Appointment]").

SCH-2 (filler) and SCH-1 (placer) appointment IDs → identifier, the trigger event →
status, SCH-11.4/AIS-4 → start, SCH-9/10 → minutesDuration and end, SCH-7 → reasonCode,
AIS-3 → serviceType, AIP-3 and AIL-3 → participants beside the patient. FHIR wants an end
with every start: when the duration is unknown, end equals start (and minutesDuration is
absent), which says "not known" without inventing a length.
"""

from __future__ import annotations

from datetime import timedelta

from ..identifiers import APPOINTMENT_SYSTEM, PLACER_APPOINTMENT_SYSTEM, identifier
from .common import codeable, instant, meta, reference, resource

STATUS = {
    "booked": "booked",
    "cancelled": "cancelled",
    "noshow": "noshow",
    "fulfilled": "fulfilled",
}


def participant(target: str | None) -> dict | None:
    if not target:
        return None
    return {"actor": reference(target), "required": "required", "status": "accepted"}


def appointment(
    record,
    *,
    patient: str | None,
    resource_id: object = None,
    last_updated=None,
    practitioner: str | None = None,
    location: str | None = None,
    based_on: str | None = None,
    slot: str | None = None,
) -> dict:
    """`record` has AppointmentData's attributes (a stored Appointment or not)."""
    start = record.starts_at
    end = start + timedelta(minutes=record.duration_minutes or 0) if start else None
    identifiers = [identifier(record.external_id, APPOINTMENT_SYSTEM, "FILL")]
    if record.placer_appointment_id:
        identifiers.append(
            identifier(record.placer_appointment_id, PLACER_APPOINTMENT_SYSTEM, "PLAC")
        )
    service = codeable(record.service_code, record.service_text)
    participants = [participant(p) for p in (patient, practitioner, location) if p]
    return resource(
        "Appointment",
        resource_id,
        meta=meta(last_updated),
        identifier=identifiers,
        status=STATUS.get(record.status, "booked"),
        serviceType=[service] if service else None,
        reasonCode=[{"text": record.reason}] if record.reason else None,
        description=record.service_text or record.reason or None,
        start=instant(start),
        end=instant(end),
        minutesDuration=record.duration_minutes or None,
        slot=[reference(slot)] if slot else None,
        basedOn=[reference(based_on)] if based_on else None,
        participant=participants,
    )
