"""ORC/OBR → ServiceRequest (V2-to-FHIR "ORC[ServiceRequest]", "OBR[ServiceRequest]").

The order's numbers become identifiers typed PLAC (ORC-2/OBR-2 placer), FILL (ORC-3/OBR-3
filler) and ACSN (the accession number); OBR-4 → code, priority → priority, the scheduled
time → occurrenceDateTime, ORC-12/OBR-16 → requester, OBR-31/OBR-13 → reasonCode, PV1-3 →
locationReference, the modality → orderDetail (DICOM code).
"""

from __future__ import annotations

from ..identifiers import FILLER_ORDER_SYSTEM, PLACER_ORDER_SYSTEM, accession_system, identifier
from .common import CODE_SYSTEMS, code_system, codeable, instant, meta, reference, resource

# Workflow status of an order → ServiceRequest.status (request-status).
STATUS = {
    "scheduled": "active",
    "arrived": "active",
    "images_available": "active",
    "preliminary": "active",
    "final": "completed",
    "corrected": "completed",
    "cancelled": "revoked",
}
IMAGING_CATEGORY = {
    "coding": [{"system": "http://snomed.info/sct", "code": "363679005", "display": "Imaging"}]
}


def order_identifiers(order) -> list[dict]:
    found = []
    if order.placer_order_number:
        found.append(identifier(order.placer_order_number, PLACER_ORDER_SYSTEM, "PLAC"))
    if order.filler_order_number:
        found.append(identifier(order.filler_order_number, FILLER_ORDER_SYSTEM, "FILL"))
    found.append(identifier(order.accession_number, accession_system(), "ACSN"))
    return found


def procedure_code(order) -> dict | None:
    return codeable(
        order.procedure_code, order.procedure_text, code_system(order.procedure_coding_system)
    )


def service_request(
    order,
    *,
    status: str,
    subject: str | None,
    resource_id: object = None,
    last_updated=None,
    authored_on=None,
    requester: str | None = None,
    location: str | None = None,
) -> dict:
    """`order` has OrderData's attributes (a stored Order or an unstored OrderData);
    `status` is the ServiceRequest status (see STATUS)."""
    modality = (
        [{"coding": [{"system": CODE_SYSTEMS["DCM"], "code": order.modality}]}]
        if order.modality
        else None
    )
    return resource(
        "ServiceRequest",
        resource_id,
        meta=meta(last_updated),
        identifier=order_identifiers(order),
        status=status,
        intent="order",
        category=[IMAGING_CATEGORY],
        priority=order.priority or None,
        code=procedure_code(order),
        orderDetail=modality,
        subject=reference(subject),
        occurrenceDateTime=instant(order.scheduled_at),
        authoredOn=instant(authored_on),
        requester=reference(requester),
        reasonCode=[{"text": order.reason}] if order.reason else None,
        locationReference=[reference(location)] if location else None,
    )
