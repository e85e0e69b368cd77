"""Clinical documents (MDM) attached to a patient and, when known, to an order."""

from __future__ import annotations

from django.db import transaction

from ..data import DocumentData
from ..errors import ClinicalRuleError
from ..models import Document, Order
from .events import announce
from .patients import register_patient

DOCUMENT_FIELDS = (
    "document_type",
    "status",
    "title",
    "text",
    "content",
    "content_type",
    "authored_at",
)


@transaction.atomic
def attach_document(data: DocumentData) -> Document:
    """Store a document, or replace the content of the one with the same unique ID.

    Emits document.attached or document.replaced.
    """
    if not data.unique_id:
        raise ClinicalRuleError("the document has no unique ID", field="document.id")
    patient = register_patient(data.patient)
    order = (
        Order.objects.filter(accession_number=data.accession_number).first()
        if data.accession_number
        else None
    )
    document = Document.objects.select_for_update().filter(unique_id=data.unique_id).first()
    created = document is None
    if created:
        document = Document(unique_id=data.unique_id, patient=patient)
    for name in DOCUMENT_FIELDS:
        value = getattr(data, name)
        if value not in ("", None):
            setattr(document, name, value)
    document.patient = patient
    document.order = order or document.order
    document.save()
    announce(
        "document.attached" if created else "document.replaced",
        "document",
        document.id,
        patient.id,
        accession_number=data.accession_number,
    )
    return document
