"""Booking, rescheduling and cancelling: exactly once, with the appointment and its event."""

import threading
from datetime import time

import pytest
from django.db import close_old_connections, connection

from radbridge.clinical.models import Appointment
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import OutboxEvent
from radbridge.scheduling.availability import local_instant, slots
from radbridge.scheduling.errors import SchedulingError, SlotTakenError
from radbridge.scheduling.models import Booking
from radbridge.scheduling.services import book_slot, cancel_booking, modify_booking, reschedule
from tests.personas import make_order, make_patient

from .helpers import make_schedule, next_weekday


@pytest.fixture
def schedule(db):
    return make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.mark.django_db
def test_booking_creates_the_appointment_and_its_event(actor, schedule, monday):
    patient = make_patient()
    start = local_instant(monday, time(8, 30))
    appointment = book_slot(schedule, start, patient, procedure_code="CTHEAD", reason="headache")
    assert (appointment.starts_at, appointment.duration_minutes) == (start, 30)
    assert appointment.location == schedule.location and appointment.status == "booked"
    event = OutboxEvent.objects.get(topic="appointment.booked")
    assert event.payload["siu_trigger"] == "S12" and event.aggregate_id == str(appointment.id)
    taken = [slot.start for slot in slots(schedule, monday, monday) if not slot.free]
    assert taken == [start]


@pytest.mark.django_db
def test_a_taken_slot_is_refused_clearly(actor, schedule, monday):
    start = local_instant(monday, time(9))
    book_slot(schedule, start, make_patient())
    with pytest.raises(SlotTakenError, match="slot taken"):
        book_slot(schedule, start, make_patient())
    assert Appointment.objects.count() == 1


@pytest.mark.django_db
def test_a_time_outside_the_templates_is_not_a_slot(actor, schedule, monday):
    with pytest.raises(SchedulingError, match="no slot starting at"):
        book_slot(schedule, local_instant(monday, time(8, 10)), make_patient())
    with pytest.raises(SchedulingError, match="does not perform"):
        book_slot(schedule, local_instant(monday, time(8)), make_patient(), procedure_code="MRI")
    assert not Appointment.objects.exists()


@pytest.mark.django_db
def test_an_order_of_another_modality_cannot_be_booked(actor, schedule, monday):
    patient = make_patient()
    order = make_order(patient)
    order.modality = "MR"
    order.save()
    with pytest.raises(SchedulingError, match="needs MR"):
        book_slot(schedule, local_instant(monday, time(8)), patient, order=order)


@pytest.mark.django_db
def test_reschedule_moves_the_booking_and_frees_the_old_slot(actor, schedule, monday):
    first, second = local_instant(monday, time(8)), local_instant(monday, time(9, 30))
    appointment = book_slot(schedule, first, make_patient())
    reschedule(appointment, second)
    appointment.refresh_from_db()
    assert appointment.starts_at == second
    assert Booking.objects.get().starts_at == second
    free = {slot.start for slot in slots(schedule, monday, monday) if slot.free}
    assert first in free and second not in free
    event = OutboxEvent.objects.get(topic="appointment.changed")
    assert event.payload["siu_trigger"] == "S13"


@pytest.mark.django_db
def test_reschedule_to_a_taken_slot_keeps_the_old_one(actor, schedule, monday):
    first, second = local_instant(monday, time(8)), local_instant(monday, time(8, 30))
    appointment = book_slot(schedule, first, make_patient())
    book_slot(schedule, second, make_patient())
    with pytest.raises(SlotTakenError):
        reschedule(appointment, second)
    appointment.refresh_from_db()
    assert appointment.starts_at == first and Booking.objects.filter(starts_at=first).exists()


@pytest.mark.django_db
def test_modifying_the_reason_is_an_s14(actor, schedule, monday):
    appointment = book_slot(schedule, local_instant(monday, time(8)), make_patient())
    modify_booking(appointment, "follow-up of nodule")
    event = OutboxEvent.objects.get(topic="appointment.changed")
    assert event.payload["siu_trigger"] == "S14"


@pytest.mark.django_db
def test_cancel_frees_the_slot_once(actor, schedule, monday):
    start = local_instant(monday, time(8))
    appointment = book_slot(schedule, start, make_patient())
    cancel_booking(appointment, "feeling better")
    cancel_booking(appointment)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and not Booking.objects.exists()
    assert OutboxEvent.objects.filter(topic="appointment.cancelled").count() == 1
    assert OutboxEvent.objects.get(topic="appointment.cancelled").payload["siu_trigger"] == "S15"
    book_slot(schedule, start, make_patient())  # free again


@pytest.mark.django_db
def test_ris_appointments_cannot_be_changed_here(actor, schedule, monday):
    patient = make_patient()
    appointment = Appointment.objects.create(external_id="RIS-1", patient=patient)
    with pytest.raises(SchedulingError, match="change it in the RIS"):
        cancel_booking(appointment)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_slot_one_wins(schedule, monday):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    start = local_instant(monday, time(9))
    patients = [make_patient(), make_patient()]
    barrier, outcomes = threading.Barrier(2), []

    def attempt(patient):
        try:
            with acting_as(Actor(name=f"test:{patient.pk}")):
                barrier.wait()
                book_slot(schedule, start, patient)
            outcomes.append("booked")
        except SlotTakenError as error:
            outcomes.append(str(error))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "slot taken: someone booked it first; choose another"]
    assert Booking.objects.count() == 1 and Appointment.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="appointment.booked").count() == 1


@pytest.mark.django_db
def test_reschedule_to_another_scanner_moves_the_room_too(actor, schedule, monday):
    other = make_schedule(hours=(time(8), time(10)))
    appointment = book_slot(schedule, local_instant(monday, time(8)), make_patient())
    reschedule(appointment, local_instant(monday, time(8)), other)
    appointment.refresh_from_db()
    assert appointment.location == other.location
    assert Booking.objects.get().schedule == other
    assert all(slot.free for slot in slots(schedule, monday, monday))
