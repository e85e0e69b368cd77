"""Webhook subscriptions ("subscriptions-lite") and their deliveries.

A subscription names a URL, the topics it wants, what the notification carries (references
only, or the full resources) and the account it acts for: a notification is sent only for
records that account may see. Each (event, subscription) has exactly one delivery row (a
unique key), which carries its attempts, its next try and its last error.
"""

from django.conf import settings
from django.db import models

from radbridge.core.models import OutboxEvent, TimeStampedModel

from .choices import DeliveryStatus, WebhookContent


class WebhookSubscription(TimeStampedModel):
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    topics = models.JSONField(default=list)  # WebhookTopic values
    content = models.CharField(
        max_length=20, choices=WebhookContent, default=WebhookContent.ID_ONLY
    )
    # Shared secret for the HMAC signature; generated at registration, shown once.
    secret = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fhir_webhooks"
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class WebhookDelivery(models.Model):
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event.topic} #{self.event_id} → {self.subscription.name} ({self.status})"
