"""HL7 v2 messages RadBridge writes for the RIS (ORM^O01 for orders placed here)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from radbridge.clinical.choices import Priority, ReportStatus
from radbridge.clinical.models import Order, Patient, Practitioner, ReportVersion

from .wire import Repeated, build_message

PRIORITY_CODES = {
    Priority.STAT: "S",
    Priority.ASAP: "A",
    Priority.URGENT: "T",
    Priority.ROUTINE: "R",
}


def hl7_time(moment=None) -> str:
    return (moment or timezone.now()).strftime("%Y%m%d%H%M%S%z")


def msh(message_type: list[str], control_id: str) -> list:
    return [
        "MSH",
        settings.HL7_SENDING_APPLICATION,
        settings.HL7_SENDING_FACILITY,
        "RIS",
        "",
        hl7_time(),
        "",
        message_type,
        control_id,
        "P",
        "2.5.1",
        "",
        "",
        "AL",
        "NE",
        "",
        "UNICODE UTF-8",
    ]


def pid(patient: Patient) -> list:
    identifiers = Repeated(
        [
            [i.value, "", "", i.assigning_authority, i.type_code or "MR"]
            for i in patient.identifiers.all()
        ]
    )
    return [
        "PID",
        "1",
        "",
        identifiers,
        "",
        [patient.family_name, patient.given_name, patient.middle_name],
        "",
        patient.birth_date.strftime("%Y%m%d") if patient.birth_date else "",
        patient.sex,
    ]


def xcn(practitioner: Practitioner | None) -> list | str:
    if practitioner is None:
        return ""
    return [practitioner.identifier, practitioner.family_name, practitioner.given_name]


def order_message(order: Order, control_id: str) -> str:
    priority = PRIORITY_CODES.get(order.priority, "R")
    timing = ["", "", "", hl7_time(order.scheduled_at) if order.scheduled_at else "", "", priority]
    procedure = [order.procedure_code, order.procedure_text, order.procedure_coding_system]
    placer = order.placer_order_number or order.accession_number
    segments = [
        msh(["ORM", "O01", "ORM_O01"], control_id),
        pid(order.patient),
        ["PV1", "1", "O"],
        [
            "ORC",
            "NW",
            placer,
            order.filler_order_number,
            "",
            "SC",
            "",
            timing,
            "",
            hl7_time(),
            "",
            "",
            xcn(order.ordering_practitioner),
        ],
        [
            "OBR",
            "1",
            placer,
            order.filler_order_number,
            procedure,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            order.reason,
            "",
            "",
            xcn(order.ordering_practitioner),
            "",
            order.accession_number,
            "",
            "",
            "",
            "",
            "",
            order.modality,
            "",
            "",
            timing,
            "",
            "",
            "",
            ["", order.reason],
        ],
    ]
    return build_message(segments)


# Report status to OBR-25 / OBX-11 result status (HL7 table 0123 / 0085).
RESULT_STATUS_CODES = {
    ReportStatus.PRELIMINARY: "P",
    ReportStatus.FINAL: "F",
    ReportStatus.CORRECTED: "C",
    ReportStatus.CANCELLED: "X",
}


def numbered(name: str, fields: dict[int, object]) -> list:
    """A segment from {field number: value}, the unnamed fields left empty."""
    return [name, *(fields.get(number, "") for number in range(1, max(fields) + 1))]


def report_message(order: Order, version: ReportVersion, control_id: str) -> str:
    """ORU^R01 of one report version, for a physician to import into their EHR: the exam in
    OBR (accession in OBR-18, radiologist in OBR-32, status in OBR-25) and the text in one FT
    (formatted text) OBX, its line breaks written as \\.br\\ so blank lines between sections
    survive; every value is escaped by the builder."""
    status = RESULT_STATUS_CODES.get(version.status, "F")
    placer = order.placer_order_number or order.accession_number
    radiologist = version.radiologist
    header = msh(["ORU", "R01", "ORU_R01"], control_id)
    header[3] = ""  # MSH-5: the receiving application is the physician's EHR, unknown here
    text = version.text.replace("\r\n", "\n").replace("\r", "\n")
    return build_message([
        header,
        pid(order.patient),
        numbered("ORC", {1: "RE", 2: placer, 3: order.filler_order_number, 5: "CM",
                         12: xcn(order.ordering_practitioner)}),
        numbered("OBR", {
            1: "1", 2: placer, 3: order.filler_order_number,  # OBR-2/3 order numbers
            4: [order.procedure_code, order.procedure_text, order.procedure_coding_system],
            7: hl7_time(order.scheduled_at) if order.scheduled_at else "",  # exam time
            16: xcn(order.ordering_practitioner),  # OBR-16 ordering provider
            18: order.accession_number,  # OBR-18 accession (IHE)
            22: hl7_time(version.signed_at) if version.signed_at else "",  # signed
            24: order.modality,  # OBR-24 diagnostic service section
            25: status,  # OBR-25 result status
            # OBR-32 principal result interpreter: ID&family&given in component 1
            32: [[radiologist.identifier, radiologist.family_name, radiologist.given_name]]
            if radiologist else "",
        }),
        numbered("OBX", {1: "1", 2: "FT", 3: ["", "Report"], 4: "1", 5: text, 11: status}),
    ])
