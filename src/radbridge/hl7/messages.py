"""HL7 v2 messages RadBridge writes for the RIS (ORM^O01 for orders placed here)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from radbridge.clinical.choices import Priority
from radbridge.clinical.models import Order, Patient, Practitioner

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
