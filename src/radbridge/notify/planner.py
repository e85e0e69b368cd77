"""From an occasion (an outbox event, an appointment reminder) to the deliveries it calls for.

The outbox consumer `notify` calls `handle_event` in the transaction that records its
receipt; planning only writes Delivery rows (one per recipient and channel, keyed
"<source>:<recipient>:<channel>", inserted with ignore-conflicts), so handling the same event
twice plans nothing new. Sending happens later, in `delivery`, outside any transaction.
Whoever the recipient, the message is rendered here from a template and a context of plain
values; a sign-in code is stored redacted and rendered again only when it is sent.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from radbridge.clinical.models import Appointment, Order, Patient
from radbridge.core import links
from radbridge.core.models import OutboxEvent

from . import templates
from .choices import REQUESTED_KINDS, SECRET_KINDS, Channel, DeliveryStatus, MessageKind
from .models import ContactPreference, Delivery
from .recipients import (
    Recipient,
    address_recipient,
    patient_recipient,
    practitioner_recipient,
    quiet_until,
)

log = logging.getLogger(__name__)

TOPICS = (
    "images.available",
    "report.preliminary",
    "report.finalized",
    "report.corrected",
    "appointment.booked",
    "appointment.changed",
    "appointment.cancelled",
    "portal.invitation",
    "auth.one_time_code",
)
PATIENT_KIND_BY_TOPIC = {
    "images.available": MessageKind.IMAGES_READY,
    "report.finalized": MessageKind.REPORT_READY,
    "report.corrected": MessageKind.REPORT_CORRECTED,
    "appointment.booked": MessageKind.APPOINTMENT_BOOKED,
    "appointment.changed": MessageKind.APPOINTMENT_CHANGED,
    "appointment.cancelled": MessageKind.APPOINTMENT_CANCELLED,
    "appointment.reminder": MessageKind.APPOINTMENT_REMINDER,  # from `reminders`, not the outbox
    "portal.invitation": MessageKind.PORTAL_INVITATION,
}
STAT_REPORT_TOPICS = ("report.preliminary", "report.finalized", "report.corrected")
REDACTED_CODE = "••••••"


@dataclass
class Occasion:
    source: str  # "event:12" or "reminder:4:2h:202601140930"
    topic: str
    payload: dict
    event: OutboxEvent | None = None
    order: Order | None = None
    appointment: Appointment | None = None


@dataclass
class Prefetched:
    """What a batch of events needs from the record, read in a few queries for all."""

    orders: dict = field(default_factory=dict)  # accession number -> Order
    patients: dict = field(default_factory=dict)  # id -> Patient
    appointments: dict = field(default_factory=dict)  # id -> Appointment
    preferences: dict = field(default_factory=dict)  # ("patient"|"practitioner", id) -> pref

    @classmethod
    def for_events(cls, events: list[OutboxEvent]) -> Prefetched:
        payloads = [event.payload for event in events]
        accessions = {p.get("accession_number") for p in payloads} - {None, ""}
        orders = {
            order.accession_number: order
            for order in Order.objects.select_related(
                "patient", "location__organization", "ordering_practitioner"
            ).prefetch_related("copies_to").filter(accession_number__in=accessions)
        }
        patient_ids = {p.get("patient_id") for p in payloads} - {None}
        patients = Patient.objects.select_related("merged_into").in_bulk(patient_ids)
        appointment_ids = [e.aggregate_id for e in events if e.topic.startswith("appointment.")]
        appointments = Appointment.objects.select_related(
            "location__organization", "order__location"
        ).in_bulk([int(i) for i in appointment_ids if str(i).isdigit()])
        practitioner_ids = {
            p.id for order in orders.values()
            for p in (order.ordering_practitioner, *order.copies_to.all()) if p is not None
        }
        preferences = {}
        for preference in ContactPreference.objects.filter(
            Q(patient_id__in=patient_ids) | Q(practitioner_id__in=practitioner_ids)
        ):
            if preference.patient_id:
                preferences["patient", preference.patient_id] = preference
            else:
                preferences["practitioner", preference.practitioner_id] = preference
        return cls(orders, patients, appointments, preferences)


@dataclass
class Audience:
    kind: str
    recipients: list[Recipient] = field(default_factory=list)
    urgent: bool = False  # STAT to physicians: at once, quiet hours or not


def handle_event(event: OutboxEvent) -> None:
    """The outbox consumer: plan the messages an event calls for (idempotent)."""
    handle_events([event])


def handle_events(events: list[OutboxEvent]) -> None:
    """The batch form: the record read once for all, the deliveries inserted at once."""
    known = Prefetched.for_events(events)
    now = timezone.now()
    rows = []
    for event in events:
        occasion = Occasion(f"event:{event.id}", event.topic, dict(event.payload), event)
        rows.extend(plan_rows(occasion, now, known))
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)


def plan(occasion: Occasion, now: datetime | None = None) -> int:
    rows = plan_rows(occasion, now or timezone.now())
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def plan_rows(occasion: Occasion, now: datetime, known: Prefetched | None = None) -> list:
    load_related(occasion, known)
    return [
        row
        for audience in audiences(occasion, now, known)
        for recipient in audience.recipients
        for row in deliveries_for(occasion, audience, recipient, now)
    ]


def load_related(occasion: Occasion, known: Prefetched | None = None) -> None:
    payload = occasion.payload
    if known is not None:
        occasion.order = occasion.order or known.orders.get(payload.get("accession_number"))
        if occasion.topic.startswith("appointment.") and occasion.event is not None:
            aggregate_id = occasion.event.aggregate_id
            occasion.appointment = known.appointments.get(
                int(aggregate_id) if str(aggregate_id).isdigit() else None)
        return
    if occasion.order is None and payload.get("accession_number"):
        occasion.order = (
            Order.objects.select_related("location__organization", "ordering_practitioner")
            .filter(accession_number=payload["accession_number"])
            .first()
        )
    is_appointment = occasion.topic.startswith("appointment.")
    if occasion.appointment is None and is_appointment and occasion.event is not None:
        occasion.appointment = (
            Appointment.objects.select_related("location__organization", "order__location")
            .filter(id=occasion.event.aggregate_id)
            .first()
        )


def the_patient(occasion: Occasion, known: Prefetched | None) -> Patient | None:
    patient_id = occasion.payload.get("patient_id")
    if patient_id is None:
        return None
    if known is not None:
        return known.patients.get(patient_id)
    return Patient.objects.select_related("merged_into").filter(id=patient_id).first()


def audiences(occasion: Occasion, now: datetime, known: Prefetched | None = None):
    topic, payload = occasion.topic, occasion.payload
    preferences = known.preferences if known is not None else None
    if topic == "auth.one_time_code":
        patient = the_patient(occasion, known)
        recipient = address_recipient(
            payload.get("to_phone", ""), payload.get("to_email", ""), patient
        )
        return [Audience(MessageKind.ONE_TIME_CODE, [recipient], urgent=True)]
    found = []
    kind = PATIENT_KIND_BY_TOPIC.get(topic)
    if kind is not None and wants_patient_message(occasion, now):
        patient = the_patient(occasion, known)
        if patient is not None:
            found.append(Audience(kind, [patient_recipient(
                patient, payload.get("to_phone", ""), payload.get("to_email", ""), preferences
            )]))
        else:
            log.warning("%s: patient %s not found, nobody to tell", occasion.source,
                        payload.get("patient_id"))
    if topic in STAT_REPORT_TOPICS and payload.get("priority") == "stat" and occasion.order:
        physicians = [occasion.order.ordering_practitioner, *occasion.order.copies_to.all()]
        unique = {p.id: p for p in physicians if p is not None}
        found.append(Audience(
            MessageKind.REPORT_STAT,
            [practitioner_recipient(p, preferences) for p in unique.values()],
            urgent=True,
        ))
    return found


def wants_patient_message(occasion: Occasion, now: datetime) -> bool:
    """Appointment news only for future appointments, and changes only of time or place."""
    if not occasion.topic.startswith("appointment."):
        return True
    starts_at = occasion.payload.get("starts_at")
    if not starts_at or datetime.fromisoformat(starts_at) <= now:
        return False
    if occasion.topic == "appointment.changed":
        changed = set(occasion.payload.get("fields") or ())
        return bool(changed & {"starts_at", "location"}) and occasion.payload.get(
            "status", "booked") == "booked"
    return True


def site_of(occasion: Occasion):
    for holder in (occasion.appointment, occasion.order):
        location = getattr(holder, "location", None)
        if location is not None and location.organization is not None:
            return location.organization
    return None


STUDY_KINDS = (MessageKind.IMAGES_READY, MessageKind.REPORT_READY, MessageKind.REPORT_CORRECTED)


def link_for(occasion: Occasion, kind: str, recipient: Recipient) -> str:
    """The portal link a message carries: for a patient, the study (or a sign-up link tied to
    it when they have no account yet); for a physician, the study's page."""
    order = occasion.order
    if recipient.patient is not None and kind in STUDY_KINDS:
        return links.patient_link(recipient.patient.id, order.id if order else None)
    if recipient.practitioner is not None and order is not None:
        return links.study_url(order.id)
    return links.portal_url("/")


def context_for(
    occasion: Occasion, recipient: Recipient, now: datetime, redact: bool, link: str = ""
) -> dict:
    payload, order, appointment = occasion.payload, occasion.order, occasion.appointment
    site = site_of(occasion)
    modality = payload.get("modality") or (order.modality if order else "")
    patient = order.patient if order else recipient.patient
    starts_at = payload.get("starts_at") or (appointment.starts_at if appointment else None)
    expires_at = payload.get("expires_at")
    minutes = ""
    if expires_at:
        left = (datetime.fromisoformat(expires_at) - now).total_seconds() / 60
        minutes = str(max(1, math.ceil(left)))
    location = appointment.location if appointment else None
    return {
        "centre_name": site.name if site else settings.NOTIFY_CENTRE_NAME,
        "first_name": recipient.first_name,
        "recipient_name": recipient.name,
        "patient_initials": templates.initials(patient.given_name, patient.family_name)
        if patient else "",
        "portal_url": link or links.portal_url("/"),
        "modality": modality,
        "modality_name": templates.modality_name(modality),
        "accession_number": payload.get("accession_number", ""),
        "report_status": payload.get("report_status", ""),
        "priority": payload.get("priority", ""),
        "appointment_time": templates.local_time(starts_at, recipient.time_zone),
        "location": (location.name or location.code) if location else "",
        "invitation_url": payload.get("url", ""),
        "expires_at": templates.local_time(expires_at, recipient.time_zone),
        "code": REDACTED_CODE if redact else str(payload.get("code", "")),
        "expires_in_minutes": minutes,
    }


def deliveries_for(occasion: Occasion, audience: Audience, recipient: Recipient, now: datetime):
    kind = audience.kind
    site = site_of(occasion)
    language = recipient.language or settings.NOTIFY_DEFAULT_LANGUAGE
    expires_at = occasion.payload.get("expires_at")
    reachable = not recipient.opted_out and any(
        (a := recipient.addresses.get(channel)) is not None and a.value
        for channel in recipient.channels
    )
    link = link_for(occasion, kind, recipient) if reachable else links.portal_url("/")
    for channel in recipient.channels:
        address = recipient.addresses.get(channel)
        if address is None or address.problem == "not asked":
            continue
        wording = templates.find_wording(kind, channel, language, site.id if site else None)
        if wording is None:
            log.error("no %s template for %s: add one in the admin", channel, kind)
            continue
        secret = kind in SECRET_KINDS
        rendered = templates.render(
            wording, context_for(occasion, recipient, now, redact=secret, link=link), channel
        )
        status, reason, due = DeliveryStatus.QUEUED, "", now
        if recipient.opted_out and kind not in REQUESTED_KINDS:
            status, reason = DeliveryStatus.SUPPRESSED, "the recipient opted out"
        elif not address.value:
            status, reason = DeliveryStatus.SUPPRESSED, address.problem
        elif not audience.urgent and kind not in REQUESTED_KINDS:
            morning = quiet_until(now, recipient)
            if morning is not None:
                due, reason = morning, "waiting for the end of the recipient's quiet hours"
        yield Delivery(
            key=f"{occasion.source}:{recipient.key}:{channel}"[:250],
            source=occasion.source,
            event=occasion.event,
            kind=kind,
            template_id=wording.template_id,
            channel=channel,
            provider=provider_name(channel),
            patient=recipient.patient,
            practitioner=recipient.practitioner,
            recipient_name=recipient.name[:200],
            to_address=address.value,
            language=language,
            subject=rendered.subject[:300],
            body=rendered.body,
            html_body=rendered.html_body,
            redacted=secret,
            urgent=audience.urgent,
            status=status,
            reason=reason,
            next_attempt_at=due,
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )


def provider_name(channel: str) -> str:
    if channel == Channel.SMS:
        return settings.NOTIFY_SMS_PROVIDER
    return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]  # "smtp", "console", "locmem", ...


def render_secret(delivery: Delivery) -> templates.Rendered:
    """The text of a redacted delivery, rendered again from its event just to send it."""
    if delivery.event is None:
        raise LookupError("the event holding the code is gone: the message cannot be sent")
    occasion = Occasion(delivery.source, delivery.event.topic, dict(delivery.event.payload),
                        delivery.event)
    load_related(occasion)
    recipient = next(
        r for audience in audiences(occasion, timezone.now()) for r in audience.recipients
    )
    site = site_of(occasion)
    wording = templates.find_wording(delivery.kind, delivery.channel, delivery.language,
                                     site.id if site else None)
    context = context_for(occasion, recipient, timezone.now(), redact=False)
    return templates.render(wording, context, delivery.channel)
