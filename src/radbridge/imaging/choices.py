"""Status and code enumerations of the imaging index."""

from django.db import models

from .wire import record


class Reconciliation(models.TextChoices):
    MATCHED = "matched", "Matched to its order"
    UNMATCHED = "unmatched", "No order found"
    MISMATCH = "mismatch", "Patient disagrees with the order"
    REJECTED = "rejected", "Rejected by staff"


class MatchRule(models.TextChoices):
    ACCESSION = "accession", "Accession number"
    PATIENT_DATE_MODALITY = "patient_date_modality", "Patient identifier, date and modality"
    MANUAL = "manual", "Linked by staff"


class Availability(models.TextChoices):
    RECEIVING = "receiving", "Receiving"
    AVAILABLE = "available", "Available"


class RenderState(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class AssociationOutcome(models.TextChoices):
    """How a DICOM association ended: the wire layer's values, with their labels."""

    RELEASED = record.RELEASED, "Released"
    ABORTED_BY_PEER = record.ABORTED_BY_PEER, "Aborted by the sender"
    ABORTED = record.ABORTED, "Aborted by RadBridge"
    REJECTED = record.REJECTED, "Rejected"
    REFUSED = record.REFUSED, "Refused"
    TIMED_OUT = record.TIMED_OUT, "Timed out"
