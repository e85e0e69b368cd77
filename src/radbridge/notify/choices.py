"""Enumerations of the communication engine: what a message is about, how it goes, where it is."""

from django.db import models


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class ChannelChoice(models.TextChoices):
    """What a recipient chose to receive."""

    BOTH = "both", "SMS and email"
    SMS = "sms", "SMS only"
    EMAIL = "email", "Email only"


class MessageKind(models.TextChoices):
    IMAGES_READY = "images_ready", "Images ready (patient)"
    REPORT_READY = "report_ready", "Report ready (patient)"
    REPORT_CORRECTED = "report_corrected", "Report corrected (patient)"
    REPORT_STAT = "report_stat", "STAT report (ordering and copied physicians)"
    APPOINTMENT_BOOKED = "appointment_booked", "Appointment booked"
    APPOINTMENT_CHANGED = "appointment_changed", "Appointment changed"
    APPOINTMENT_CANCELLED = "appointment_cancelled", "Appointment cancelled"
    APPOINTMENT_REMINDER = "appointment_reminder", "Appointment reminder"
    PORTAL_INVITATION = "portal_invitation", "Portal invitation"
    ONE_TIME_CODE = "one_time_code", "One-time sign-in code"


# Messages the person asked for themselves: sent despite an opt-out, at any hour.
REQUESTED_KINDS = frozenset({MessageKind.ONE_TIME_CODE})
# Kinds whose rendered text must not be kept: the delivery log stores a redacted rendering.
SECRET_KINDS = frozenset({MessageKind.ONE_TIME_CODE})


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    SENT = "sent", "Sent (provider accepted)"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Not delivered (receipt)"
    DEAD = "dead", "Dead letter"
    SUPPRESSED = "suppressed", "Not sent (opt-out or no address)"


WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)
