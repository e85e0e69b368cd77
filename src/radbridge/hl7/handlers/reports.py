"""ORU^R01: radiology reports from the RIS, as text lines or an encapsulated document.

Each OBR starts a report; the OBX after it carry its content. Text comes from TX/FT/ST lines
(one OBX a line) or from an ED OBX holding base64 RTF (converted to readable text), PDF or
CDA (kept as the rendering, with whatever text it yields). Coded and numeric results become
"label: value" lines so nothing the radiologist sent is dropped.
"""

from __future__ import annotations

import base64
import binascii
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from striprtf.striprtf import rtf_to_text

from radbridge.clinical import services
from radbridge.clinical.choices import ReportStatus
from radbridge.clinical.data import OrderData, ReportData

from ..wire import HL7Error, Message, Segment
from .fields import (
    MissingField,
    interpreter,
    parse_datetime,
    patient_from_pid,
    require_segment,
    warn,
)
from .orders import OrderGroup, order_data

# OBR-25 / OBX-11 result status (HL7 table 0123 / 0085) to report status.
REPORT_STATUS_CODES = {
    "P": ReportStatus.PRELIMINARY,
    "R": ReportStatus.PRELIMINARY,
    "A": ReportStatus.PRELIMINARY,
    "F": ReportStatus.FINAL,
    "C": ReportStatus.CORRECTED,
    "X": ReportStatus.CANCELLED,
    "D": ReportStatus.CANCELLED,
}
NO_RESULT_CODES = {"O", "I", "S"}  # order received, in progress, scheduled: no report yet
TEXT_TYPES = {"TX", "FT", "ST"}
SKIPPED_TYPES = {"HD", "RP"}  # references and identifiers, not report content
STUDY_UID_CODES = {"113014", "110180"}  # DCM codes: Study, Study Instance UID
MIME_BY_SUBTYPE = {
    "RTF": "application/rtf",
    "PDF": "application/pdf",
    "XML": "text/xml",
    "HTML": "text/html",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
}


def report_groups(message: Message) -> list[tuple[Segment, list[Segment]]]:
    groups: list[tuple[Segment, list[Segment]]] = []
    for segment in message.segments:
        if segment.name == "OBR":
            groups.append((segment, []))
        elif segment.name == "OBX" and groups:
            groups[-1][1].append(segment)
    return groups


def decode_encapsulated(obx: Segment, component_separator: str) -> tuple[bytes, str]:
    """ED (OBX-5): 2 type of data, 3 subtype, 4 encoding (Base64/Hex/A), 5 the data."""
    subtype, encoding = obx.value(5, 3).upper(), obx.value(5, 4).upper()
    # The data is everything after the 4th component: unencoded XML may carry "^" and "&".
    parts = obx.text(5).split(component_separator, 4)
    data = parts[4] if len(parts) == 5 else ""
    try:
        if encoding in ("BASE64", "B64"):
            content = base64.b64decode(re.sub(r"\s+", "", data), validate=True)
        elif encoding == "HEX":
            content = bytes.fromhex(data)
        else:
            content = data.encode("utf-8")
    except (binascii.Error, ValueError) as error:
        raise HL7Error(
            f"OBX-5 encapsulated data is not valid {encoding or 'text'}: {error}",
            segment="OBX",
            segment_index=obx.index,
            field=5,
            code="102",
        ) from None
    if "/" in subtype:  # some senders put a whole MIME type in the subtype
        return content, subtype.lower()
    return content, MIME_BY_SUBTYPE.get(subtype, f"application/{subtype.lower() or 'octet-stream'}")


def text_of_rendering(content: bytes, mime: str) -> str:
    if mime == "application/rtf":
        return rtf_to_text(content.decode("cp1252", errors="replace")).strip()
    if mime in ("text/xml", "text/html"):
        try:
            root = ElementTree.fromstring(content)
        except ElementTree.ParseError:
            return ""
        lines = (" ".join(chunk.split()) for chunk in root.itertext())
        return "\n".join(line for line in lines if line)
    return ""


def obx_line(obx: Segment) -> str:
    label = obx.value(3, 2) or obx.value(3, 1)
    value = obx.value(5, 2) or obx.value(5, 1)
    units = obx.value(6, 2) or obx.value(6, 1)
    line = f"{label}: {value}" if label else value
    return f"{line} {units}".strip() if value else ""


def report_content(
    observations: list[Segment], component_separator: str = "^"
) -> tuple[list[str], bytes | None, str, str]:
    """(text lines, rendering, rendering type, study UID) of one report's OBX segments."""
    lines: list[str] = []
    broken: list[HL7Error] = []
    rendering, rendering_type, study_uid = None, "", ""
    for obx in observations:
        value_type = obx.value(2).upper()
        if obx.value(3, 1) in STUDY_UID_CODES:
            study_uid = study_uid or obx.value(5)
        elif obx.value(3, 2).upper().endswith("INSTANCE UID"):
            continue  # DICOM references (series, SR instance), not words of the report
        elif value_type in TEXT_TYPES:
            lines.extend(obx.text(5, n) for n in range(1, len(obx.repetitions(5)) + 1))
        elif value_type == "ED":
            try:
                content, mime = decode_encapsulated(obx, component_separator)
            except HL7Error as error:
                broken.append(error)
                continue
            if content:
                rendering, rendering_type = content, mime
                lines.append(text_of_rendering(content, mime))
        elif value_type not in SKIPPED_TYPES:
            lines.append(obx_line(obx))
    if broken and not any(lines):
        raise broken[0]  # the attachment was the whole content: nothing readable to keep
    for error in broken:
        warn(f"{error} (attachment skipped; the text lines were kept)")
    return lines, rendering, rendering_type, study_uid


def report_status(obr: Segment, observations: list[Segment]) -> str | None:
    """OBR-25 when it is a result status; else the OBX-11 of the observations."""
    code = obr.value(25).upper()
    if code in NO_RESULT_CODES:
        return None
    if code not in REPORT_STATUS_CODES:
        code = next((obx.value(11).upper() for obx in observations if obx.value(11)), "")
    return REPORT_STATUS_CODES.get(code)


@dataclass
class ReportCommand:
    """One OBR of an ORU: the order it reports on and, when it carries a result, the report."""

    order: OrderData
    report: ReportData | None  # None: OBR-25 says there is no result yet (O, I, S)
    result_status_code: str = ""  # OBR-25 as sent


def extract(message: Message) -> list[ReportCommand]:
    """The reports of the message as plain values, checked, with nothing stored: the ingest
    handler applies them, and the FHIR converter maps them."""
    pid = require_segment(message, "PID", "the patient")
    patient = patient_from_pid(pid)
    groups = report_groups(message)
    if not groups:
        raise HL7Error(
            "ORU^R01 has no OBR segment: a report needs the OBR of the exam it reports",
            segment="OBR",
            code="100",
        )
    commands = []
    for obr, observations in groups:
        orc = next((s for s in message.segments if s.name == "ORC" and s.index < obr.index), None)
        order = order_data(OrderGroup(orc=orc, obr=obr), patient, message)
        if not order.accession_number:
            raise MissingField("OBR", 18, "accession / filler order number", obr.index)
        status = report_status(obr, observations)
        lines, rendering, rendering_type, study_uid = report_content(
            observations, message.separators.component
        )
        order.study_instance_uid = order.study_instance_uid or study_uid
        report = None
        if status is not None:
            report = ReportData(
                accession_number=order.accession_number,
                status=status,
                text="\n".join(line for line in lines if line is not None).strip(),
                rendering=rendering,
                rendering_type=rendering_type,
                radiologist=interpreter(obr, 32),
                signed_at=parse_datetime(obr.value(22)) or parse_datetime(message.timestamp),
                order=order if patient.identifiers else None,
            )
        commands.append(ReportCommand(order, report, obr.value(25)))
    return commands


def handle(message: Message) -> str:
    return "; ".join(apply(command) for command in extract(message))


def apply(command: ReportCommand) -> str:
    order = command.order
    if command.report is None:
        if (
            order.patient
            and order.patient.identifiers
            and (order.procedure_code or order.procedure_text)
        ):
            services.place_order(order)
        return f"order {order.accession_number}: no report yet ({command.result_status_code!r})"
    version = services.finalize_report(command.report)
    status = command.report.status
    if version is None:
        return f"report {order.accession_number} unchanged"
    return f"report {order.accession_number} {status} v{version.number}"
