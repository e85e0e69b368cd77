"""SIU^S12..S26: appointments booked, rescheduled, modified, cancelled, missed."""

from __future__ import annotations

from radbridge.clinical import services
from radbridge.clinical.choices import AppointmentStatus
from radbridge.clinical.data import AppointmentData

from ..wire import Message
from .fields import MissingField, parse_datetime, patient_from_pid, practitioner, require_segment

STATUS_BY_TRIGGER = {
    "S12": AppointmentStatus.BOOKED,
    "S13": AppointmentStatus.BOOKED,
    "S14": AppointmentStatus.BOOKED,
    "S15": AppointmentStatus.CANCELLED,
    "S17": AppointmentStatus.CANCELLED,
    "S26": AppointmentStatus.NOSHOW,
}
MINUTES_PER_UNIT = {"MIN": 1, "M": 1, "S": 1 / 60, "SEC": 1 / 60, "H": 60, "HR": 60, "HOUR": 60}


def duration_minutes(quantity: str, unit: str) -> int | None:
    try:
        amount = float(quantity)
    except ValueError:
        return None
    return round(amount * MINUTES_PER_UNIT.get(unit.strip().upper() or "MIN", 1))


def handle(message: Message) -> str:
    record = services.book_appointment(extract(message))
    return f"appointment {record.external_id} {record.status}"


def extract(message: Message) -> AppointmentData:
    """The appointment of the message as a plain value, checked, with nothing stored."""
    sch = require_segment(message, "SCH", "the appointment")
    pid = require_segment(message, "PID", "the patient")
    patient = patient_from_pid(pid)
    if not patient.identifiers:
        raise MissingField("PID", 3, "patient identifier list", pid.index)
    external_id = sch.value(2) or sch.value(1)
    if not external_id:
        raise MissingField("SCH", 2, "filler appointment ID", sch.index)
    tq1, ais = message.segment("TQ1"), message.segment("AIS")
    ail, aip = message.segment("AIL"), message.segment("AIP")
    start = (ais and ais.value(4)) or sch.value(11, 4) or (tq1 and tq1.value(7)) or ""
    return AppointmentData(
        external_id=external_id,
        placer_appointment_id=sch.value(1),
        patient=patient,
        status=STATUS_BY_TRIGGER.get(message.trigger_event, AppointmentStatus.BOOKED),
        accession_number=sch.value(27) or sch.value(26),
        starts_at=parse_datetime(start),
        duration_minutes=duration_minutes(sch.value(9), sch.value(10, 1))
        or (ais and duration_minutes(ais.value(7), ais.value(8, 1)))
        or None,
        reason=sch.value(7, 2) or sch.value(7, 1) or sch.value(6, 2) or sch.value(6, 1),
        service_code=ais.value(3, 1) if ais else "",
        service_text=ais.value(3, 2) if ais else "",
        location_code=ail.value(3, 1) if ail else "",
        location_name=ail.value(3, 2) if ail else "",
        practitioner=practitioner(aip, 3) if aip else None,
    )
