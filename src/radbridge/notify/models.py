"""Templates, recipients' preferences and the delivery log of the communication engine.

A Delivery is one message to one recipient on one channel for one occasion (an outbox event
or an appointment reminder). Its `key` is unique, so planning the same occasion twice (a
retried consumer, a second relay, a restarted worker) can never queue a second message.
The row is also the audit log of what was sent: who, which template, when, the provider's
message ID and the status reported by delivery receipts.
"""

from django.db import models
from django.db.models import Q

from radbridge.clinical.models import Organization, Patient, Practitioner
from radbridge.core.models import OutboxEvent, TimeStampedModel
from radbridge.core.permissions import RestrictedManager

from .choices import Channel, ChannelChoice, DeliveryStatus, MessageKind


class MessageTemplate(TimeStampedModel):
    """What is said for one kind of message, on one channel, in one language, at one site.

    Rendered by a sandboxed Django template engine over a context the engine builds (centre
    name, first name, links, local times): no model is reachable from a template.
    """

    kind = models.CharField(max_length=40, choices=MessageKind)
    channel = models.CharField(max_length=10, choices=Channel)
    language = models.CharField(max_length=10, default="en", help_text="e.g. en, fr, es")
    site = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE,
        help_text="leave empty for every site",
    )
    subject = models.CharField(max_length=200, blank=True, help_text="email only")
    body = models.TextField(help_text="the SMS text, or the plain-text part of the email")
    html_body = models.TextField(
        blank=True, help_text="email HTML part; empty: made from the text part"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language", "site"], name="notify_template_per_site"
            ),
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], condition=Q(site__isnull=True),
                name="notify_template_any_site",
            ),
        ]

    def __str__(self) -> str:
        where = f" @ {self.site}" if self.site_id else ""
        return f"{self.get_kind_display()} / {self.channel} / {self.language}{where}"


class ContactPreference(TimeStampedModel):
    """How one patient or practitioner wants to hear from us. No row: the defaults."""

    restricted_via = ("patient",)
    patient = models.OneToOneField(
        Patient, null=True, blank=True, on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    practitioner = models.OneToOneField(
        Practitioner, null=True, blank=True, on_delete=models.CASCADE,
        related_name="contact_preference",
    )
    channels = models.CharField(max_length=10, choices=ChannelChoice, default=ChannelChoice.BOTH)
    language = models.CharField(max_length=10, blank=True, help_text="empty: the centre's")
    opted_out = models.BooleanField(default=False, help_text="no messages except sign-in codes")
    sms_number = models.CharField(max_length=50, blank=True, help_text="instead of the record's")
    email = models.EmailField(blank=True, help_text="instead of the record's")
    time_zone = models.CharField(max_length=60, blank=True, help_text="e.g. Europe/Paris")
    quiet_hours_start = models.TimeField(null=True, blank=True, help_text="empty: the centre's")
    quiet_hours_end = models.TimeField(null=True, blank=True)
    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False, practitioner__isnull=True)
                | Q(patient__isnull=True, practitioner__isnull=False),
                name="notify_preference_one_person",
            )
        ]

    def __str__(self) -> str:
        return f"preferences of {self.patient or self.practitioner}"


class Delivery(models.Model):
    """One message to one recipient on one channel, from planning to the delivery receipt."""

    restricted_via = ("patient",)
    key = models.CharField(max_length=250, unique=True)
    source = models.CharField(max_length=200, db_index=True)  # "event:12", "reminder:4:2h:..."
    event = models.ForeignKey(
        OutboxEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, choices=MessageKind)
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel)
    provider = models.CharField(max_length=20, blank=True)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_name = models.CharField(max_length=200, blank=True)
    to_address = models.CharField(max_length=250, blank=True)
    language = models.CharField(max_length=10, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # The body above is redacted (a sign-in code): it is rendered again, in memory, to send.
    redacted = models.BooleanField(default=False)
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        max_length=12, choices=DeliveryStatus, default=DeliveryStatus.QUEUED, db_index=True
    )
    reason = models.TextField(blank=True, help_text="why it waits, failed or was not sent")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # A send whose outcome is unknown (worker died, response lost): ask the provider first.
    needs_lookup = models.BooleanField(default=False)
    provider_message_id = models.CharField(max_length=100, blank=True, db_index=True)
    provider_status = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )
    objects = RestrictedManager()

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.channel} to {self.recipient_name or '?'}"
