"""Status and code enumerations of the clinical record."""

from django.db import models


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "O", "Other"
    UNKNOWN = "U", "Unknown"


class OrderStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    IMAGES_AVAILABLE = "images_available", "Images available"
    PRELIMINARY = "preliminary", "Preliminary report"
    FINAL = "final", "Final report"
    CORRECTED = "corrected", "Corrected report"
    CANCELLED = "cancelled", "Cancelled"


class Priority(models.TextChoices):
    STAT = "stat", "STAT"
    ASAP = "asap", "ASAP"
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


class ReportStatus(models.TextChoices):
    PRELIMINARY = "preliminary", "Preliminary"
    FINAL = "final", "Final"
    CORRECTED = "corrected", "Corrected"
    CANCELLED = "cancelled", "Cancelled"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    FULFILLED = "fulfilled", "Fulfilled"


class OrganizationKind(models.TextChoices):
    IMAGING_SITE = "site", "Imaging site"
    CLINIC = "clinic", "Referring clinic"
    OTHER = "other", "Other"
