"""Orders (imaging study requests): place, change, cancel, follow their status."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from ..choices import AppointmentStatus, OrderStatus, Priority
from ..data import OrderData
from ..errors import ClinicalRuleError
from ..models import Appointment, Order
from .events import announce
from .patients import register_patient, upsert_location, upsert_practitioner

ORDER_FIELDS = (
    "placer_order_number",
    "filler_order_number",
    "procedure_code",
    "procedure_text",
    "procedure_coding_system",
    "modality",
    "scheduled_at",
    "reason",
    "study_instance_uid",
)


def check_order(data: OrderData) -> None:
    if not data.accession_number:
        raise ClinicalRuleError("the order has no accession number", field="order.accession")
    if data.patient is None or not any(i.value for i in data.patient.identifiers):
        raise ClinicalRuleError(
            f"order {data.accession_number} names no patient", field="order.patient"
        )
    if not (data.procedure_code or data.procedure_text):
        raise ClinicalRuleError(
            f"order {data.accession_number} names no procedure", field="order.procedure"
        )


def order_payload(order: Order) -> dict:
    return {
        "accession_number": order.accession_number,
        "priority": order.priority,
        "status": order.status,
        "modality": order.modality,
    }


@transaction.atomic
def place_order(data: OrderData) -> Order:
    """Create the order, or bring an existing one (same accession) up to date.

    Emits order.placed for a new order, order.updated when a known one changed.
    """
    check_order(data)
    patient = register_patient(data.patient)
    order = Order.objects.select_for_update().filter(accession_number=data.accession_number).first()
    created = order is None
    if created:
        order = Order(accession_number=data.accession_number, patient=patient)
    changed = [
        name
        for name in ORDER_FIELDS
        if getattr(data, name) not in ("", None) and getattr(order, name) != getattr(data, name)
    ]
    for name in changed:
        setattr(order, name, getattr(data, name))
    priority = data.priority or (Priority.ROUTINE if created else order.priority)
    if order.priority != priority:
        order.priority = priority
        changed.append("priority")
    if order.patient_id != patient.id:
        order.patient = patient
        changed.append("patient")
    if order.status == OrderStatus.CANCELLED and not created:
        order.status = OrderStatus.SCHEDULED  # a new order message revives a cancelled one
        changed.append("status")
    ordering = upsert_practitioner(data.ordering_practitioner)
    if ordering is not None and order.ordering_practitioner_id != ordering.id:
        order.ordering_practitioner = ordering
        changed.append("ordering_practitioner")
    location = upsert_location(data.location_code, data.location_name)
    if location is not None and order.location_id != location.id:
        order.location = location
        changed.append("location")
    if created or changed:
        order.save()
    for copy in data.copies_to:
        practitioner = upsert_practitioner(copy)
        if practitioner is not None:
            order.copies_to.add(practitioner)
    if created:
        announce("order.placed", "order", order.id, patient.id, **order_payload(order))
    elif changed:
        announce(
            "order.updated", "order", order.id, patient.id, fields=changed, **order_payload(order)
        )
    return order


def get_order(accession_number: str) -> Order:
    order = Order.objects.select_for_update().filter(accession_number=accession_number).first()
    if order is None:
        raise ClinicalRuleError(
            f"no order has accession number {accession_number!r}", field="order.accession"
        )
    return order


@transaction.atomic
def cancel_order(accession_number: str, reason: str = "") -> Order:
    """Cancel an order. Emits order.cancelled (once: cancelling twice changes nothing)."""
    order = get_order(accession_number)
    if order.status != OrderStatus.CANCELLED:
        order.status = OrderStatus.CANCELLED
        if reason:
            order.reason = reason
        order.save()
        announce("order.cancelled", "order", order.id, order.patient_id, **order_payload(order))
    return order


@transaction.atomic
def set_order_status(accession_number: str, status: str) -> Order:
    """Move an order to a workflow status (arrived, images available, ...).

    Emits order.status_changed when the status differs.
    """
    if status not in OrderStatus.values:
        raise ClinicalRuleError(f"unknown order status {status!r}", field="order.status")
    order = get_order(accession_number)
    if order.status != status:
        previous = order.status
        order.status = status
        order.save()
        announce(
            "order.status_changed",
            "order",
            order.id,
            order.patient_id,
            previous_status=previous,
            **order_payload(order),
        )
    return order


@transaction.atomic
def record_images_available(order_id: int) -> Order:
    """The order's images have all arrived: scheduled/arrived orders move to images_available.

    A status further along (reported, cancelled) is left as it is. Emits
    order.status_changed when the status moves. Locks the order row.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status in (OrderStatus.SCHEDULED, OrderStatus.ARRIVED):
        previous = order.status
        order.status = OrderStatus.IMAGES_AVAILABLE
        order.save()
        announce(
            "order.status_changed",
            "order",
            order.id,
            order.patient_id,
            previous_status=previous,
            **order_payload(order),
        )
    return order


@transaction.atomic
def set_order_scheduled_time(order_id: int, scheduled_at: datetime | None) -> Order:
    """The order's exam is now booked for `scheduled_at`; None when its booking was cancelled
    and it awaits a slot again. Called by whoever books (the scheduling app), inside its own
    transaction, so the order and the booking never disagree. Locks the order row.

    Emits order.updated (fields ["scheduled_at"]) when the time changes.
    """
    if scheduled_at is not None and scheduled_at.tzinfo is None:
        raise ClinicalRuleError("the scheduled time needs a time zone", field="order.scheduled_at")
    order = Order.objects.select_for_update().get(pk=order_id)
    if order.scheduled_at != scheduled_at:
        order.scheduled_at = scheduled_at
        order.save()
        announce(
            "order.updated", "order", order.id, order.patient_id, fields=["scheduled_at"],
            scheduled_at=scheduled_at.isoformat() if scheduled_at else None,
            **order_payload(order),
        )
    return order


def follow_booked_appointments(order_id: int) -> Order:
    """Set the order's scheduled time to its earliest booked appointment's (none: cleared),
    after an appointment for it was booked, moved or cancelled, here or by the RIS. Runs in
    the caller's transaction; see set_order_scheduled_time."""
    booked = (
        Appointment.objects.filter(order_id=order_id, status=AppointmentStatus.BOOKED)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return set_order_scheduled_time(order_id, booked)
