"""OBR/OBX → DiagnosticReport (V2-to-FHIR "OBR[DiagnosticReport]").

OBR-25 → status, OBR-4 → code, OBR-7 (the exam time, as the order keeps it) →
effectiveDateTime, OBR-22 → issued, OBR-32 → resultsInterpreter, OBR-3 → identifier. The
report text (OBX TX/FT lines) is `presentedForm` as text/plain, the original rendering sent
(RTF, PDF, CDA) a second `presentedForm`; the IMPRESSION section, when the text has one, is
the `conclusion` (otherwise the whole text). Each stored version of a report is one version
of the resource (`meta.versionId` = version number).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

from ..identifiers import FILLER_ORDER_SYSTEM, accession_system, identifier
from .common import instant, meta, reference, resource
from .service_request import procedure_code

STATUS = {
    "preliminary": "preliminary",
    "final": "final",
    "corrected": "corrected",
    "cancelled": "cancelled",
}
RADIOLOGY_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
            "code": "RAD",
            "display": "Radiology",
        }
    ]
}
IMPRESSION = re.compile(
    r"^\s*(?:IMPRESSION|CONCLUSION)S?\s*:?\s*$|^\s*(?:IMPRESSION|CONCLUSION)S?\s*:",
    re.IGNORECASE | re.MULTILINE,
)


def conclusion(text: str) -> str:
    """The IMPRESSION (or CONCLUSION) section, else the whole text."""
    match = IMPRESSION.search(text)
    if match is None:
        return text.strip()
    return text[match.end() :].strip() or text.strip()


def presented_forms(version, created) -> list[dict]:
    forms = []
    if version.text:
        forms.append(
            {
                "contentType": "text/plain; charset=utf-8",
                "data": base64.b64encode(version.text.encode("utf-8")).decode("ascii"),
                "title": "Report text",
                "creation": instant(created),
            }
        )
    rendering = version.rendering
    if rendering:
        forms.append(
            {
                "contentType": version.rendering_type or "application/octet-stream",
                "data": base64.b64encode(bytes(rendering)).decode("ascii"),
                "title": "Report as sent",
                "creation": instant(created),
            }
        )
    return forms


def report_identifiers(order) -> list[dict]:
    found = []
    if order.filler_order_number:
        found.append(identifier(order.filler_order_number, FILLER_ORDER_SYSTEM, "FILL"))
    found.append(identifier(order.accession_number, accession_system(), "ACSN"))
    return found


def diagnostic_report(
    order,
    version,
    *,
    subject: str | None,
    resource_id: object = None,
    version_id: object = None,
    last_updated=None,
    issued=None,
    based_on: str | None = None,
    interpreter: str | None = None,
    imaging_studies: Sequence[dict] = (),
) -> dict:
    """`order` has OrderData's attributes, `version` ReportData's (stored or not);
    `imaging_studies` are ready References (`ImagingStudy/<id>` for stored studies, or
    logical ones by Study Instance UID)."""
    text = version.text or ""
    return resource(
        "DiagnosticReport",
        resource_id,
        meta=meta(last_updated, version_id),
        identifier=report_identifiers(order),
        basedOn=[reference(based_on)] if based_on else None,
        status=STATUS.get(version.status, "unknown"),
        category=[RADIOLOGY_CATEGORY],
        code=procedure_code(order) or {"text": "Imaging report"},
        subject=reference(subject),
        effectiveDateTime=instant(order.scheduled_at),
        issued=instant(issued),
        resultsInterpreter=[reference(interpreter)] if interpreter else None,
        imagingStudy=list(imaging_studies) or None,
        conclusion=conclusion(text) if text else None,
        presentedForm=presented_forms(version, issued),
    )


def study_reference_by_uid(study_instance_uid: str) -> dict | None:
    """A logical reference to a study by its DICOM Study Instance UID, for a study not
    stored here (yet): in $convert bundles, or named by the RIS before its images arrive."""
    if not study_instance_uid:
        return None
    return {
        "type": "ImagingStudy",
        "identifier": {"system": "urn:dicom:uid", "value": f"urn:oid:{study_instance_uid}"},
    }
