"""A booked order's scheduled time follows its booking (booked, moved, cancelled, here or by
the RIS) in the same transaction as the booking, with the order.updated event."""

import threading
from datetime import datetime, time

import pytest
from django.db import close_old_connections, connection

from radbridge.clinical import services as clinical
from radbridge.clinical.data import AppointmentData, IdentifierData, PatientData
from radbridge.clinical.errors import ClinicalRuleError
from radbridge.clinical.models import Appointment, Order
from radbridge.clinical.services import set_order_scheduled_time
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import OutboxEvent
from radbridge.scheduling.availability import local_instant
from radbridge.scheduling.errors import SchedulingError, SlotTakenError
from radbridge.scheduling.offer import awaiting_booking
from radbridge.scheduling.services import book_slot, cancel_booking, reschedule
from tests.personas import make_order, make_patient

from .helpers import make_schedule, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def schedule(db):
    return make_schedule(hours=(time(8), time(10)))


@pytest.fixture
def monday():
    return next_weekday(0)


def order_updates(order):
    return list(
        OutboxEvent.objects.filter(topic="order.updated", aggregate_id=str(order.pk))
        .order_by("pk").values_list("payload", flat=True)
    )


def test_booking_an_order_sets_its_scheduled_time(actor, schedule, monday):
    order = make_order()
    start = local_instant(monday, time(8, 30))
    book_slot(schedule, start, order.patient, order=order)
    order.refresh_from_db()
    assert order.scheduled_at == start
    [update] = order_updates(order)
    assert update["fields"] == ["scheduled_at"]
    assert update["scheduled_at"] == start.isoformat()
    assert not awaiting_booking(Order.objects.filter(pk=order.pk)).exists()


def test_rescheduling_moves_the_order_to_the_new_time(actor, schedule, monday):
    order = make_order()
    appointment = book_slot(schedule, local_instant(monday, time(8)), order.patient, order=order)
    later = local_instant(monday, time(9, 30))
    reschedule(appointment, later)
    order.refresh_from_db()
    assert order.scheduled_at == later
    assert [u["scheduled_at"] for u in order_updates(order)][-1] == later.isoformat()


def test_cancelling_clears_the_time_and_the_order_awaits_a_slot_again(actor, schedule, monday):
    order = make_order()
    appointment = book_slot(schedule, local_instant(monday, time(8)), order.patient, order=order)
    cancel_booking(appointment)
    cancel_booking(appointment)  # twice: nothing more happens
    order.refresh_from_db()
    assert order.scheduled_at is None
    assert [u["scheduled_at"] for u in order_updates(order)][1:] == [None]
    assert awaiting_booking(Order.objects.filter(pk=order.pk)).exists()


def test_a_refused_booking_leaves_the_order_as_it_was(actor, schedule, monday):
    start = local_instant(monday, time(9))
    book_slot(schedule, start, make_patient())
    order = make_order()
    with pytest.raises(SlotTakenError):
        book_slot(schedule, start, order.patient, order=order)
    order.refresh_from_db()
    assert order.scheduled_at is None and order_updates(order) == []


def test_a_booking_without_an_order_changes_no_order(actor, schedule, monday):
    order = make_order()
    book_slot(schedule, local_instant(monday, time(8)), order.patient)
    order.refresh_from_db()
    assert order.scheduled_at is None and order_updates(order) == []


def test_the_same_time_again_emits_nothing(actor, monday):
    order = make_order()
    start = local_instant(monday, time(8))
    set_order_scheduled_time(order.pk, start)
    set_order_scheduled_time(order.pk, start)
    assert len(order_updates(order)) == 1


def test_a_time_without_a_zone_is_refused(actor):
    order = make_order()
    with pytest.raises(ClinicalRuleError, match="time zone"):
        set_order_scheduled_time(order.pk, datetime(2030, 1, 7, 8, 0))


def ris_appointment(order, start, status="booked"):
    identifier = order.patient.identifiers.first()
    return clinical.book_appointment(
        AppointmentData(
            external_id="RIS-7",
            patient=PatientData([IdentifierData(identifier.value, identifier.assigning_authority)]),
            status=status,
            accession_number=order.accession_number,
            starts_at=start,
        )
    )


def test_an_appointment_from_the_ris_schedules_its_order_too(actor, monday):
    order = make_order()
    start = local_instant(monday, time(11))
    ris_appointment(order, start)
    order.refresh_from_db()
    assert order.scheduled_at == start
    ris_appointment(order, start, status="cancelled")
    order.refresh_from_db()
    assert order.scheduled_at is None
    assert [u["scheduled_at"] for u in order_updates(order)] == [start.isoformat(), None]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_one_order_on_two_scanners_one_wins(schedule, monday):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    order = make_order()
    scanners = [schedule, make_schedule(hours=(time(8), time(10)))]
    start = local_instant(monday, time(8))
    barrier, outcomes = threading.Barrier(2), []

    def attempt(scanner):
        try:
            with acting_as(Actor(name=f"test:{scanner.pk}")):
                barrier.wait()
                book_slot(scanner, start, order.patient, order=order)
            outcomes.append("booked")
        except SchedulingError as error:
            outcomes.append("already booked" if "already booked" in str(error) else str(error))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(s,)) for s in scanners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already booked", "booked"]
    assert Appointment.objects.filter(order=order).count() == 1
    assert len(order_updates(order)) == 1
