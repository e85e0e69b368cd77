"""Enumerations of the fhir app: webhook topics, payload content, delivery states."""

from django.db import models


class WebhookTopic(models.TextChoices):
    REPORT_FINALIZED = "report.finalized", "Report finalized"
    REPORT_CORRECTED = "report.corrected", "Report corrected"
    IMAGES_AVAILABLE = "images.available", "Images available"


class WebhookContent(models.TextChoices):
    ID_ONLY = "id-only", "References only"
    FULL_RESOURCE = "full-resource", "Full resources"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (gave up)"
    SKIPPED = "skipped", "Skipped (not visible to the owner)"
