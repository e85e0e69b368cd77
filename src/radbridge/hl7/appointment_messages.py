"""SIU messages RadBridge writes for the RIS when a slot is booked, moved or cancelled here.

RadBridge is the placer of these appointments (SCH-1 carries our appointment ID); the RIS
is the filler. The trigger (S12 new, S13 rescheduled, S14 modified, S15 cancelled) comes
with the domain event; the message describes the appointment as it is now.
"""

from __future__ import annotations

from radbridge.clinical.models import Appointment

from .messages import hl7_time, msh, pid, xcn
from .wire import build_message

SEGMENT_ACTION = {"S12": "A", "S13": "U", "S14": "U", "S15": "D"}
FILLER_STATUS = {"booked": "Booked", "cancelled": "Cancelled", "noshow": "Noshow"}


def appointment_message(appointment: Appointment, trigger: str, control_id: str) -> str:
    action = SEGMENT_ACTION[trigger]
    order = appointment.order
    start = hl7_time(appointment.starts_at) if appointment.starts_at else ""
    minutes = str(appointment.duration_minutes or "")
    service = [appointment.service_code, appointment.service_text]
    location = appointment.location
    segments = [
        msh(["SIU", trigger, "SIU_S12"], control_id),
        [
            "SCH",
            appointment.external_id,  # SCH-1 placer appointment ID: ours
            "",  # SCH-2 filler appointment ID: the RIS assigns it
            "",
            "",
            "",
            ["", trigger],  # SCH-6 event reason
            ["", appointment.reason],  # SCH-7 appointment reason
            "",
            minutes,  # SCH-9 appointment duration
            "MIN",  # SCH-10 duration units
            ["", "", "", start],  # SCH-11 appointment timing quantity (start)
            "", "", "", "", "", "", "", "", "", "", "", "", "",
            FILLER_STATUS.get(appointment.status, ""),  # SCH-25 filler status code
            order.placer_order_number if order else "",  # SCH-26 placer order number
            order.accession_number if order else "",  # SCH-27 filler order number
        ],
        ["TQ1", "1", "", "", "", "", "", start, "", "R"],  # TQ1-7 start date/time
        pid(appointment.patient),
        ["PV1", "1", "O"],
        ["RGS", "1", action],
        ["AIS", "1", action, service, start, "", "", minutes, "MIN"],
        ["AIL", "1", action, [location.code, location.name] if location else ""],
    ]
    if appointment.practitioner_id:
        segments.append(["AIP", "1", action, xcn(appointment.practitioner)])
    return build_message(segments)
