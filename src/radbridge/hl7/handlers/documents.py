"""MDM^T02 (and T10 replacement): a clinical document, attached to the patient and order."""

from __future__ import annotations

from radbridge.clinical import services
from radbridge.clinical.data import DocumentData

from ..wire import Message
from .fields import MissingField, parse_datetime, patient_from_pid, require_segment
from .orders import OrderGroup, accession_number
from .reports import report_content


def handle(message: Message) -> str:
    document = services.attach_document(extract(message))
    return f"document {document.unique_id} attached"


def extract(message: Message) -> DocumentData:
    """The document of the message as a plain value, checked, with nothing stored."""
    pid = require_segment(message, "PID", "the patient")
    txa = require_segment(message, "TXA", "the document header")
    patient = patient_from_pid(pid)
    if not patient.identifiers:
        raise MissingField("PID", 3, "patient identifier list", pid.index)
    unique_id = txa.value(12) or txa.value(16)
    if not unique_id:
        raise MissingField("TXA", 12, "unique document number", txa.index)
    lines, content, content_type, _ = report_content(
        message.segments_named("OBX"), message.separators.component
    )
    group = OrderGroup(orc=message.segment("ORC"), obr=message.segment("OBR"))
    accession = accession_number(group) or txa.value(15) or txa.value(14)
    return DocumentData(
        unique_id=unique_id,
        patient=patient,
        accession_number=accession,
        document_type=txa.value(2),
        status=txa.value(17),
        title=txa.value(2, 2) or txa.value(2),
        text="\n".join(line for line in lines if line).strip(),
        content=content,
        content_type=content_type,
        authored_at=parse_datetime(txa.value(4)) or parse_datetime(txa.value(6)),
    )
