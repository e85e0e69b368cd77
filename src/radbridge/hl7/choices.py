"""Status enumerations of the HL7 journal and the outbound queue."""

from django.db import models


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received (journaled, not yet applied)"
    APPLIED = "applied", "Applied"
    DUPLICATE = "duplicate", "Duplicate (re-acknowledged, not applied again)"
    REJECTED = "rejected", "Rejected (malformed or unsupported)"
    FAILED = "failed", "Failed (could not be applied: replay when fixed)"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent and acknowledged"
    DEAD = "dead", "Dead letter (gave up)"
