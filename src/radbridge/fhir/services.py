"""The fhir app's verbs: register, stop and retry webhook subscriptions."""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from radbridge.core import audit

from .choices import DeliveryStatus, WebhookContent, WebhookTopic
from .models import WebhookSubscription


class WebhookError(ValueError):
    """A webhook registration that cannot be accepted, said so the operator can fix it."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook(url: str, topics: list[str], content: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise WebhookError(f"{url!r} is not an http(s) URL")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise WebhookError(
            f"{url!r}: notifications carry patient data, so the URL must be https "
            "(plain http only to this machine)"
        )
    unknown = sorted(set(topics) - set(WebhookTopic.values))
    if not topics or unknown:
        raise WebhookError(
            f"unknown or missing topics {unknown}: choose from {', '.join(WebhookTopic.values)}"
        )
    if content not in WebhookContent.values:
        raise WebhookError(f"content must be one of {', '.join(WebhookContent.values)}")


@transaction.atomic
def register_webhook(
    name: str, url: str, topics: list[str], owner, content: str = WebhookContent.ID_ONLY
) -> WebhookSubscription:
    """Register a subscription with a fresh secret (shown to the operator once)."""
    check_webhook(url, topics, content)
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=url,
        topics=sorted(set(topics)),
        content=content,
        owner=owner,
        secret=secrets.token_urlsafe(32),
    )
    audit.record("fhir.webhook.registered", "webhook", subscription.pk, url=url, topics=topics)
    return subscription


@transaction.atomic
def deactivate_webhook(subscription: WebhookSubscription) -> None:
    subscription.active = False
    subscription.save(update_fields=["active", "updated_at"])
    audit.record("fhir.webhook.deactivated", "webhook", subscription.pk)


@transaction.atomic
def retry_deliveries(deliveries) -> int:
    """Send dead or waiting deliveries again at once, with a fresh count of attempts."""
    count = deliveries.filter(status__in=(DeliveryStatus.DEAD, DeliveryStatus.RETRYING)).update(
        status=DeliveryStatus.RETRYING, attempts=0, next_attempt_at=timezone.now()
    )
    audit.record("fhir.webhook.retried", "webhook-delivery", "", count=count)
    return count
