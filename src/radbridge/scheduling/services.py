"""Booking verbs: book, reschedule, modify, cancel. One transaction each.

Each verb locks the schedule row (select_for_update) so bookings of one resource run one
after another, and the unique (schedule, start) constraint on Booking is the last word if
anything slips past. The clinical Appointment and its outbox event (appointment.booked,
.changed or .cancelled, with the SIU trigger the RIS must hear) commit with the booking, and
so does the booked order's scheduled time (clinical `follow_booked_appointments`), so the
worklist, the study page and My studies show the time that is booked.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from radbridge.clinical.choices import AppointmentStatus, OrderStatus
from radbridge.clinical.models import Appointment, Order, Patient
from radbridge.clinical.services import follow_booked_appointments
from radbridge.clinical.services.events import announce

from .availability import slot_at
from .errors import SchedulingError, SlotTakenError
from .models import Booking, Schedule

# SIU trigger events (HL7 v2 chapter 10) for what happened to a booking made here.
BOOKED, RESCHEDULED, MODIFIED, CANCELLED = "S12", "S13", "S14", "S15"


def check_slot(schedule: Schedule, start: datetime, ignore_appointment_id: int | None = None):
    """The free slot of `schedule` at `start`; SchedulingError/SlotTakenError otherwise."""
    if start.tzinfo is None:
        raise SchedulingError("the slot start needs a time zone", field="start")
    if not schedule.active:
        raise SchedulingError(f"schedule {schedule.code} takes no bookings", field="schedule")
    slot = slot_at(schedule, start, ignore_appointment_id)
    if slot is None:
        raise SchedulingError(
            f"schedule {schedule.code} has no slot starting at {start.isoformat()} "
            "(closed, or outside its opening hours)",
            field="start",
        )
    if not slot.free:
        raise SlotTakenError()
    return slot


def check_order_fits(schedule: Schedule, patient: Patient, order: Order | None) -> None:
    if order is None:
        return
    if order.patient_id != patient.pk:
        raise SchedulingError("the order belongs to another patient", field="order")
    if order.status == OrderStatus.CANCELLED:
        raise SchedulingError(f"order {order.accession_number} was cancelled", field="order")
    if order.modality and order.modality != schedule.modality:
        raise SchedulingError(
            f"schedule {schedule.code} is {schedule.modality}; the order needs {order.modality}",
            field="schedule",
        )
    if order.procedure_code and not schedule.serves(order.procedure_code):
        raise SchedulingError(
            f"schedule {schedule.code} does not perform {order.procedure_code}", field="schedule"
        )


def check_order_not_booked(order: Order | None) -> None:
    """One booked appointment per order: a second booking would be a second exam. Locks the
    order row (after the schedule's, as every verb here does) so two bookings of one order on
    two schedules run one after the other."""
    if order is None:
        return
    Order.objects.select_for_update().filter(pk=order.pk).first()
    booked = Appointment.objects.filter(order=order, status=AppointmentStatus.BOOKED).first()
    if booked is not None:
        raise SchedulingError(
            f"order {order.accession_number} is already booked for "
            f"{timezone.localtime(booked.starts_at):%Y-%m-%d %H:%M}: move that appointment "
            "instead",
            field="order",
        )


def hold(schedule: Schedule, slot, appointment: Appointment) -> Booking:
    try:
        with transaction.atomic():  # a savepoint: the constraint may refuse it
            return Booking.objects.create(
                schedule=schedule, starts_at=slot.start, ends_at=slot.end, appointment=appointment
            )
    except IntegrityError as error:
        raise SlotTakenError() from error


def announce_booking(topic: str, appointment: Appointment, trigger: str, fields: list[str]):
    announce(
        topic,
        "appointment",
        appointment.id,
        appointment.patient_id,
        starts_at=appointment.starts_at.isoformat(),
        status=appointment.status,
        fields=fields,
        siu_trigger=trigger,
        # What the SIU for this trigger must say, even if the appointment changes again.
        duration_minutes=appointment.duration_minutes,
        reason=appointment.reason,
        location_id=appointment.location_id,
    )


@transaction.atomic
def book_slot(
    schedule: Schedule,
    start: datetime,
    patient: Patient,
    order: Order | None = None,
    procedure_code: str = "",
    procedure_text: str = "",
    reason: str = "",
) -> Appointment:
    """Book the slot at `start` for the patient. Locks the schedule row, then the order's.

    Raises SlotTakenError when the slot is not free. Emits appointment.booked (SIU S12) and,
    for an order, order.updated with its new scheduled time.
    """
    schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
    check_order_fits(schedule, patient, order)
    check_order_not_booked(order)
    code = order.procedure_code if order else procedure_code
    if code and not schedule.serves(code):
        raise SchedulingError(f"schedule {schedule.code} does not perform {code}", field="service")
    slot = check_slot(schedule, start)
    appointment = Appointment.objects.create(
        external_id=f"RB-{uuid.uuid4().hex[:16]}",
        patient=patient,
        order=order,
        starts_at=slot.start,
        duration_minutes=slot.minutes,
        status=AppointmentStatus.BOOKED,
        reason=reason[:300],
        service_code=code,
        service_text=(order.procedure_text if order else procedure_text)[:300],
        location=schedule.location,
    )
    hold(schedule, slot, appointment)
    announce_booking("appointment.booked", appointment, BOOKED, ["starts_at", "status"])
    if appointment.order_id:
        follow_booked_appointments(appointment.order_id)
    return appointment


def locked_booking(appointment: Appointment, also_schedule: Schedule | None = None) -> Booking:
    """The appointment's booking, its schedule (and `also_schedule`) locked in id order, so
    two moves between the same two schedules cannot deadlock."""
    booking = (
        Booking.objects.select_related("schedule")
        .filter(appointment_id=appointment.pk)
        .first()
    )
    if booking is None:
        raise SchedulingError(
            "this appointment was not booked in RadBridge: change it in the RIS",
            field="appointment",
        )
    ids = {booking.schedule_id, *([also_schedule.pk] if also_schedule else [])}
    list(Schedule.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    return Booking.objects.select_for_update().get(pk=booking.pk)


@transaction.atomic
def reschedule(appointment: Appointment, start: datetime, schedule: Schedule | None = None):
    """Move a booking to another free slot (same schedule unless given). Locks the schedules.

    Emits appointment.changed (SIU S13) and order.updated for the order's new time.
    """
    booking = locked_booking(appointment, also_schedule=schedule)
    target = Schedule.objects.get(pk=(schedule or booking.schedule).pk)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.BOOKED:
        raise SchedulingError("a cancelled appointment cannot be moved", field="appointment")
    check_order_fits(target, appointment.patient, appointment.order)
    slot = check_slot(target, start, ignore_appointment_id=appointment.pk)
    booking.delete()
    appointment.starts_at = slot.start
    appointment.duration_minutes = slot.minutes
    appointment.location = target.location
    appointment.save()
    hold(target, slot, appointment)
    announce_booking("appointment.changed", appointment, RESCHEDULED, ["starts_at"])
    if appointment.order_id:
        follow_booked_appointments(appointment.order_id)
    return appointment


@transaction.atomic
def modify_booking(appointment: Appointment, reason: str) -> Appointment:
    """Change what the booking says (its reason) without moving it. Emits S14."""
    locked_booking(appointment)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.reason != reason[:300]:
        appointment.reason = reason[:300]
        appointment.save()
        announce_booking("appointment.changed", appointment, MODIFIED, ["reason"])
    return appointment


@transaction.atomic
def cancel_booking(appointment: Appointment, reason: str = "") -> Appointment:
    """Cancel the booking and free its slot; cancelling twice changes nothing. Emits S15,
    and order.updated when the order's scheduled time is cleared (it awaits a slot again)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == AppointmentStatus.CANCELLED:
        return appointment
    locked_booking(appointment).delete()
    appointment.status = AppointmentStatus.CANCELLED
    if reason:
        appointment.reason = reason[:300]
    appointment.save()
    announce_booking("appointment.cancelled", appointment, CANCELLED, ["status"])
    if appointment.order_id:
        follow_booked_appointments(appointment.order_id)
    return appointment
