"""Bookings made here reach the RIS as SIU over MLLP, once each; RIS appointments never echo."""

from datetime import time

import pytest

from radbridge.clinical import services as clinical
from radbridge.clinical.data import AppointmentData, IdentifierData, PatientData
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.handlers.appointments import extract
from radbridge.hl7.models import OutboundMessage
from radbridge.hl7.outbound import send_due
from radbridge.hl7.wire import parse_message
from radbridge.scheduling.availability import local_instant
from radbridge.scheduling.services import book_slot, cancel_booking, modify_booking, reschedule
from tests.personas import make_order, make_patient

from .helpers import make_schedule, next_weekday

pytestmark = pytest.mark.django_db(transaction=True)


def relay_and_send() -> int:
    with acting_as(Actor(name="worker", role="worker")):
        outbox.relay_once()
        outbox.relay_once()  # a second relay must not queue anything again
        return send_due()


def test_booking_lifecycle_reaches_the_ris_as_s12_s13_s14_s15(ris):
    schedule = make_schedule(hours=(time(8), time(10)))
    monday = next_weekday(0)
    patient = make_patient()
    order = make_order(patient)
    with acting_as(Actor(name="user:pat", role="patient")):
        appointment = book_slot(schedule, local_instant(monday, time(8)), patient, order=order)
        reschedule(appointment, local_instant(monday, time(9)))
        modify_booking(appointment, "bring previous CT")
        cancel_booking(appointment, "cannot come")
    assert relay_and_send() == 4
    messages = [parse_message(text) for text in ris.received]
    assert [m.message_type for m in messages] == ["SIU^S12", "SIU^S13", "SIU^S14", "SIU^S15"]
    booked = extract(messages[0])  # our own SIU reader understands what we send
    assert booked.placer_appointment_id == appointment.external_id
    assert booked.starts_at == local_instant(monday, time(8))
    assert booked.duration_minutes == 30
    assert booked.accession_number == order.accession_number
    assert booked.location_code == schedule.location.code
    assert booked.patient.identifiers[0].value == patient.identifiers.get().value
    assert extract(messages[1]).starts_at == local_instant(monday, time(9))
    assert extract(messages[2]).reason == "bring previous CT"
    assert messages[3].segment("SCH").value(25) == "Cancelled"
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_appointments_from_the_ris_are_not_echoed(ris):
    schedule = make_schedule()
    with acting_as(Actor(name="hl7:RIS|MERCY", role="interface")):
        clinical.book_appointment(
            AppointmentData(
                external_id="RIS-9",
                patient=PatientData([IdentifierData("MRN9", "MERCY", "MR")], "Roe", "Ann"),
                status="booked",
                starts_at=local_instant(next_weekday(1), time(8)),
                location_code=schedule.location.code,
            )
        )
    assert relay_and_send() == 0
    assert ris.received == [] and not OutboundMessage.objects.exists()
