"""Webhooks: outbox events become signed FHIR notification Bundles POSTed to subscribers.

The `fhir-webhooks` outbox consumer writes one delivery row per (event, subscription) in
the event's receipt transaction (unique key: exactly once). The `fhir-webhooks` job sends
due deliveries: it claims each by pushing its next attempt past the request timeout (with
SKIP LOCKED where the database has it), POSTs, and records the answer. A 2xx answer
delivers; anything else is retried with exponential backoff and full jitter, and the
delivery is dead-lettered after RADBRIDGE_FHIR_WEBHOOK_MAX_ATTEMPTS attempts.

Signature: `X-RadBridge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`"<t>." + body` with the subscription's secret. A receiver recomputes it, compares in
constant time and refuses old timestamps (replays). `X-RadBridge-Delivery` names the
delivery (the same on every retry, so receivers can drop repeats) and `X-RadBridge-Event`
the topic.

What a notification is about: `report.finalized` names the DiagnosticReport; the imaging
app's `images.available` (an event about a study, with its order in the payload) names the
ImagingStudy and carries its ServiceRequest too, each only if the subscription's owner may
see it. Resources sent whole are PHI disclosed to the subscriber: each is audited as a read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from radbridge.core import audit, jobs, outbox
from radbridge.core.models import OutboxEvent

from . import records, studies
from .choices import DeliveryStatus, WebhookContent, WebhookTopic
from .mapping.common import instant
from .models import WebhookDelivery, WebhookSubscription
from .served import SERVED

log = logging.getLogger(__name__)
TOPIC_URI = "urn:radbridge:topic:"
SIGNATURE_HEADER = "X-RadBridge-Signature"


def register() -> None:
    outbox.register_consumer("fhir-webhooks", WebhookTopic.values, record_deliveries)
    jobs.register_periodic("fhir-webhooks", send_due, interval_seconds=1.0)


def record_deliveries(event: OutboxEvent) -> None:
    """Consumer: one delivery row per active subscription to the topic (idempotent)."""
    for subscription in WebhookSubscription.objects.filter(active=True):
        if event.topic in subscription.topics:
            WebhookDelivery.objects.get_or_create(
                subscription=subscription,
                event=event,
                defaults={"next_attempt_at": timezone.now()},
            )


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


RESOURCES = {
    "DiagnosticReport": records.diagnostic_report_resource,
    "ServiceRequest": records.service_request_resource,
    "ImagingStudy": studies.imaging_study_resource,
}


def visible(resource_type: str, owner, key) -> object | None:
    return SERVED[resource_type].visible(owner).filter(pk=key).first() if key else None


def focus_of(event: OutboxEvent, owner) -> list[tuple[str, object]]:
    """(resource type, row) the event is about, the focus first, limited to what the
    subscription's owner may see; empty when they may see none of it."""
    if event.aggregate_type == "report":
        found = [("DiagnosticReport", visible("DiagnosticReport", owner, event.aggregate_id))]
    elif event.aggregate_type == "study":  # images.available, as the imaging app emits it
        found = [
            ("ImagingStudy", visible("ImagingStudy", owner, event.aggregate_id)),
            ("ServiceRequest", visible("ServiceRequest", owner, event.payload.get("order_id"))),
        ]
    else:
        found = []
    return [(resource_type, row) for resource_type, row in found if row is not None]


def notification(
    delivery: WebhookDelivery, base: str, found: list[tuple[str, object]]
) -> dict:
    """An R4 notification Bundle (Subscriptions R5 Backport style): a `history` Bundle whose
    first entry is a Parameters status, then the resources when asked for (focus first)."""
    subscription, event = delivery.subscription, delivery.event
    focus_type, focus_row = found[0]
    focus = f"{base}/{focus_type}/{focus_row.pk}"
    number = subscription.deliveries.filter(pk__lte=delivery.pk).count()
    status = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "subscription",
                "valueReference": {"reference": f"urn:radbridge:webhook:{subscription.pk}"},
            },
            {"name": "topic", "valueCanonical": TOPIC_URI + event.topic},
            {"name": "status", "valueCode": "active"},
            {"name": "type", "valueCode": "event-notification"},
            {"name": "events-since-subscription-start", "valueString": str(number)},
            {
                "name": "notification-event",
                "part": [
                    {"name": "event-number", "valueString": str(number)},
                    {"name": "timestamp", "valueInstant": instant(event.created_at)},
                    {"name": "focus", "valueReference": {"reference": focus}},
                ],
            },
        ],
    }
    entries = [
        {
            "fullUrl": f"urn:radbridge:webhook-delivery:{delivery.pk}",
            "resource": status,
            "request": {"method": "GET", "url": f"Subscription/{subscription.pk}/$status"},
            "response": {"status": "200"},
        }
    ]
    if subscription.content == WebhookContent.FULL_RESOURCE:
        entries += [
            {
                "fullUrl": f"{base}/{resource_type}/{row.pk}",
                "resource": RESOURCES[resource_type](row),
                "request": {"method": "PUT", "url": f"{resource_type}/{row.pk}"},
                "response": {"status": "200"},
            }
            for resource_type, row in found
        ]
    return {
        "resourceType": "Bundle",
        "type": "history",
        "timestamp": instant(timezone.now()),
        "entry": entries,
    }


def record_disclosure(subscription: WebhookSubscription, found: list[tuple[str, object]]):
    """Resources sent whole to a subscriber are PHI read on the owner's behalf: one `read.`
    entry each, so they show in "who has seen this patient's records"."""
    if subscription.content != WebhookContent.FULL_RESOURCE:
        return
    for resource_type, row in found:
        audit.record_read(
            "fhir.webhook", resource_type, row.pk,
            patient_id=SERVED[resource_type].patient_of(row),
            subscription=subscription.pk, owner=subscription.owner.get_username(),
            url=subscription.url,
        )


def claim_due(limit: int) -> list[int]:
    """Claim due deliveries: push their next attempt past the request time, so another
    worker does not send them at the same time."""
    lease = timezone.now() + timedelta(seconds=settings.FHIR_WEBHOOK_TIMEOUT + 30)
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING),
            next_attempt_at__lte=timezone.now(),
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=lease)
    return ids


def send_due(limit: int = 50) -> int:
    """Send what is due; returns how many were delivered."""
    delivered = 0
    for delivery_id in claim_due(limit):
        delivery = WebhookDelivery.objects.select_related("subscription", "event").get(
            pk=delivery_id
        )
        delivered += attempt(delivery)
    return delivered


def attempt(delivery: WebhookDelivery) -> bool:
    subscription, event = delivery.subscription, delivery.event
    found = focus_of(event, subscription.owner)
    if not found:
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = "the subscription's owner may not see this record"
        delivery.save()
        return False
    # No request to learn the host from: the configured FHIR base, else the public address.
    base = settings.FHIR_BASE_URL or f"{settings.PUBLIC_URL}/fhir"
    body = json.dumps(notification(delivery, base, found)).encode()
    headers = {
        "Content-Type": "application/fhir+json",
        SIGNATURE_HEADER: sign(subscription.secret, body, int(time.time())),
        "X-RadBridge-Delivery": str(delivery.pk),
        "X-RadBridge-Event": event.topic,
    }
    delivery.attempts += 1
    try:
        answer = httpx.post(
            subscription.url,
            content=body,
            headers=headers,
            timeout=settings.FHIR_WEBHOOK_TIMEOUT,
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        return retry_later(delivery, f"{type(error).__name__}: {error}", None)
    if 200 <= answer.status_code < 300:
        record_disclosure(subscription, found)
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_status_code = answer.status_code
        delivery.last_error = ""
        delivery.save()
        return True
    text = answer.text[:300]
    return retry_later(delivery, f"HTTP {answer.status_code}: {text}", answer.status_code)


def retry_later(delivery: WebhookDelivery, error: str, status_code: int | None) -> bool:
    delivery.last_error = error[:2000]
    delivery.last_status_code = status_code
    if delivery.attempts >= settings.FHIR_WEBHOOK_MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.DEAD
        log.error(
            "webhook delivery %s to %s dead after %d attempts: %s",
            delivery.pk,
            delivery.subscription.url,
            delivery.attempts,
            error,
        )
    else:
        delivery.status = DeliveryStatus.RETRYING
        delay = outbox.backoff_delay(delivery.attempts, base_seconds=2.0, cap_seconds=3600)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=max(1.0, delay))
    delivery.save()
    return False
