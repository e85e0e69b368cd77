"""Appointments kept in step with the RIS's schedule."""

from __future__ import annotations

from django.db import transaction

from ..choices import AppointmentStatus
from ..data import AppointmentData
from ..errors import ClinicalRuleError
from ..models import Appointment, Order
from .events import announce
from .orders import follow_booked_appointments
from .patients import register_patient, upsert_location, upsert_practitioner

APPOINTMENT_FIELDS = (
    "placer_appointment_id",
    "starts_at",
    "duration_minutes",
    "reason",
    "service_code",
    "service_text",
)


@transaction.atomic
def book_appointment(data: AppointmentData) -> Appointment:
    """Create, change or cancel an appointment, keyed by the scheduler's ID.

    Emits appointment.booked, appointment.changed or appointment.cancelled, and order.updated
    when the appointment's order gets a new scheduled time (follow_booked_appointments).
    """
    if not data.external_id:
        raise ClinicalRuleError("the appointment has no ID", field="appointment.id")
    if data.status not in AppointmentStatus.values:
        raise ClinicalRuleError(f"unknown appointment status {data.status!r}", field="status")
    patient = register_patient(data.patient)
    appointment = (
        Appointment.objects.select_for_update().filter(external_id=data.external_id).first()
    )
    created = appointment is None
    if created:
        appointment = Appointment(external_id=data.external_id, patient=patient)
    changed = [
        name
        for name in APPOINTMENT_FIELDS
        if getattr(data, name) not in ("", None)
        and getattr(appointment, name) != getattr(data, name)
    ]
    for name in changed:
        setattr(appointment, name, getattr(data, name))
    for name, value in (
        ("status", data.status),
        ("patient", patient),
        ("location", upsert_location(data.location_code, data.location_name)),
        ("practitioner", upsert_practitioner(data.practitioner)),
        (
            "order",
            Order.objects.filter(accession_number=data.accession_number).first()
            if data.accession_number
            else None,
        ),
    ):
        if value is not None and getattr(appointment, name) != value:
            setattr(appointment, name, value)
            changed.append(name)
    if not (created or changed):
        return appointment
    appointment.save()
    if created:
        topic = "appointment.booked"
    elif appointment.status == AppointmentStatus.CANCELLED:
        topic = "appointment.cancelled"
    else:
        topic = "appointment.changed"
    announce(
        topic,
        "appointment",
        appointment.id,
        patient.id,
        starts_at=appointment.starts_at.isoformat() if appointment.starts_at else None,
        status=appointment.status,
        fields=changed,
    )
    if appointment.order_id:
        follow_booked_appointments(appointment.order_id)
    return appointment
