"""Outbound HL7: domain events become messages for the RIS, sent with retries.

Orders placed in RadBridge (portal, FHIR) are `order.placed` events; this consumer turns each
into an ORM^O01 queued for RADBRIDGE_HL7_OUTBOUND_TARGET, once (the queue row is keyed by
the event). The `hl7-outbound` job sends due messages in order, retries on connection errors
and AR/CR with exponential backoff, and dead-letters a message after the configured number
of attempts or on AE/CE (the RIS understood it and refused it: resending will not help).
Orders that came from HL7 are not echoed back. Appointments booked, moved or cancelled in
RadBridge (events carrying an `siu_trigger`) become SIU^S12/S13/S14/S15 the same way; SIU
that came from the RIS is never echoed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from radbridge.clinical.models import Appointment, Location, Order
from radbridge.core import audit, jobs, outbox
from radbridge.core.models import OutboxEvent

from .appointment_messages import appointment_message
from .choices import OutboundStatus
from .client import MLLPClient, MLLPClientError, parse_target
from .messages import order_message
from .models import OutboundMessage
from .wire import HL7Error, parse_ack

log = logging.getLogger(__name__)


def register() -> None:
    outbox.register_consumer("hl7-outbound-orders", ["order.placed"], queue_order)
    outbox.register_consumer("hl7-outbound-appointments", APPOINTMENT_TOPICS, queue_appointment)
    jobs.register_periodic("hl7-outbound", send_due, interval_seconds=1.0)


def queue_order(event: OutboxEvent) -> None:
    if event.actor.startswith("hl7:") or not settings.HL7_OUTBOUND_TARGET:
        return  # the RIS told us about this order, or there is no RIS to tell
    order = Order.objects.select_related("patient", "ordering_practitioner").get(
        id=event.aggregate_id
    )
    control_id = f"RB{event.id:010d}"
    enqueue(f"event:{event.id}", "ORM^O01", control_id, order_message(order, control_id))


APPOINTMENT_TOPICS = ["appointment.booked", "appointment.changed", "appointment.cancelled"]


def queue_appointment(event: OutboxEvent) -> None:
    trigger = event.payload.get("siu_trigger")
    if event.actor.startswith("hl7:") or not trigger or not settings.HL7_OUTBOUND_TARGET:
        return  # the RIS told us (no trigger: not booked here), or there is no RIS to tell
    appointment = Appointment.objects.select_related(
        "patient", "order", "location", "practitioner"
    ).get(id=event.aggregate_id)
    as_at_event(appointment, event.payload)
    control_id = f"RB{event.id:010d}"
    text = appointment_message(appointment, trigger, control_id)
    enqueue(f"event:{event.id}", f"SIU^{trigger}", control_id, text)


def as_at_event(appointment: Appointment, payload: dict) -> None:
    """Describe the appointment as the event saw it (it may have moved again since)."""
    appointment.starts_at = datetime.fromisoformat(payload["starts_at"])
    appointment.status = payload["status"]
    appointment.duration_minutes = payload.get("duration_minutes", appointment.duration_minutes)
    appointment.reason = payload.get("reason", appointment.reason)
    moved_to = payload.get("location_id")
    if moved_to and moved_to != appointment.location_id:  # else: already loaded, no query
        appointment.location = Location.objects.get(pk=moved_to)


def enqueue(source_key: str, message_type: str, control_id: str, text: str) -> OutboundMessage:
    message, _ = OutboundMessage.objects.get_or_create(
        source_key=source_key,
        defaults={
            "destination": settings.HL7_OUTBOUND_TARGET,
            "message_type": message_type,
            "control_id": control_id,
            "raw": text,
            "next_attempt_at": timezone.now(),
        },
    )
    return message


class RetryRefused(ValueError):
    """The message was already acknowledged: sending it again would duplicate it."""


@transaction.atomic
def retry_now(message_id: int) -> OutboundMessage:
    """An operator sends a dead or waiting message again at the next worker round (one more
    attempt: it dies again at once if that fails). Audited; locks the message."""
    message = OutboundMessage.objects.select_for_update().filter(id=message_id).first()
    if message is None:
        raise RetryRefused(f"no outbound message #{message_id}")
    if message.status == OutboundStatus.SENT:
        raise RetryRefused(
            f"message {message.control_id} was already acknowledged ({message.ack_code}): "
            "sending it again would duplicate it at the receiver"
        )
    previous = message.status
    message.status, message.next_attempt_at = OutboundStatus.RETRYING, timezone.now()
    message.save(update_fields=["status", "next_attempt_at"])
    audit.record("hl7.outbound.retried", "hl7_outbound", message.id, previous_status=previous,
                 control_id=message.control_id, destination=message.destination)
    return message


def send_due(limit: int = 100) -> int:
    due = OutboundMessage.objects.filter(
        status__in=(OutboundStatus.QUEUED, OutboundStatus.RETRYING),
        next_attempt_at__lte=timezone.now(),
    ).order_by("id")[:limit]
    sent = 0
    for message in due:
        sent += attempt(message)
    return sent


def attempt(message: OutboundMessage) -> bool:
    message.attempts += 1
    try:
        host, port = parse_target(message.destination)
        with MLLPClient(host, port, timeout=30) as client:
            answer = client.send(message.raw.encode("utf-8")).decode("utf-8", "replace")
        code, _, text = parse_ack(answer)
    except (MLLPClientError, HL7Error, ValueError) as error:
        return retry_later(message, str(error))
    message.ack_code, message.ack_text = code, text
    if code in ("AA", "CA"):
        message.status, message.sent_at, message.last_error = (
            OutboundStatus.SENT,
            timezone.now(),
            "",
        )
    elif code in ("AE", "CE"):
        message.status = OutboundStatus.DEAD
        message.last_error = f"the receiver refused the message ({code}): {text}"
    else:
        return retry_later(message, f"the receiver answered {code or 'no MSA'}: {text}")
    with transaction.atomic():
        message.save()
    return message.status == OutboundStatus.SENT


def retry_later(message: OutboundMessage, error: str) -> bool:
    message.last_error = error
    if message.attempts >= settings.HL7_OUTBOUND_MAX_ATTEMPTS:
        message.status = OutboundStatus.DEAD
        log.error(
            "outbound %s %s dead after %d attempts: %s",
            message.message_type,
            message.control_id,
            message.attempts,
            error,
        )
    else:
        message.status = OutboundStatus.RETRYING
        delay = outbox.backoff_delay(message.attempts, base_seconds=2.0, cap_seconds=600)
        message.next_attempt_at = timezone.now() + timedelta(seconds=max(1.0, delay))
    message.save()
    return False
