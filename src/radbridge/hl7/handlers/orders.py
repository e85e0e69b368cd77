"""ORM^O01, OMI^O23 and OMG^O19: imaging orders placed, changed, cancelled by the RIS.

Each ORC starts an order group; the OBR, TQ1, IPC and ZDS after it belong to that group.
ORC-1 (order control) says what to do: NW/XO and friends place or update, CA/DC/OC/CR
cancel, SC reports a status change (ORC-5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from radbridge.clinical import services
from radbridge.clinical.choices import OrderStatus
from radbridge.clinical.data import OrderData, PatientData

from ..wire import HL7Error, Message, Segment
from .fields import (
    MissingField,
    modality,
    parse_datetime,
    patient_from_pid,
    practitioner,
    priority,
    require_segment,
)

CANCEL_CONTROLS = {"CA", "DC", "OC", "CR", "OD", "DR"}
STATUS_CONTROLS = {"SC", "SN"}
# ORC-5 order status (HL7 table 0038) to our workflow status.
ORDER_STATUS_CODES = {
    "SC": OrderStatus.SCHEDULED,
    "IP": OrderStatus.ARRIVED,
    "A": OrderStatus.IMAGES_AVAILABLE,
    "CM": OrderStatus.IMAGES_AVAILABLE,
    "CA": OrderStatus.CANCELLED,
    "DC": OrderStatus.CANCELLED,
}


@dataclass
class OrderGroup:
    orc: Segment | None = None
    obr: Segment | None = None
    tq1: Segment | None = None
    ipc: Segment | None = None
    zds: Segment | None = None
    copies: list = field(default_factory=list)


def order_groups(message: Message) -> list[OrderGroup]:
    groups: list[OrderGroup] = []
    for segment in message.segments:
        if segment.name == "ORC" or (segment.name == "OBR" and (not groups or groups[-1].obr)):
            groups.append(OrderGroup())
        if not groups or segment.name not in ("ORC", "OBR", "TQ1", "IPC", "ZDS"):
            continue
        group = groups[-1]
        if getattr(group, segment.name.lower()) is None:
            setattr(group, segment.name.lower(), segment)
    return groups


def accession_number(group: OrderGroup) -> str:
    """IPC-1, then OBR-18 (IHE: accession), then the filler's and the placer's order numbers."""
    candidates = []
    if group.ipc:
        candidates.append(group.ipc.value(1))
    if group.obr:
        candidates += [group.obr.value(18), group.obr.value(3), group.obr.value(2)]
    if group.orc:
        candidates += [group.orc.value(3), group.orc.value(2)]
    return next((c for c in candidates if c), "")


def order_data(group: OrderGroup, patient: PatientData | None, message: Message) -> OrderData:
    orc, obr = group.orc, group.obr

    def pick(*pairs: tuple[Segment | None, int, int]) -> str:
        for segment, number, component in pairs:
            if segment is not None and segment.value(number, component):
                return segment.value(number, component)
        return ""

    scheduled = pick((group.tq1, 7, 1), (obr, 27, 4), (orc, 7, 4), (obr, 36, 1), (obr, 7, 1))
    copies = (
        []
        if obr is None
        else [practitioner(obr, 28, n) for n in range(1, len(obr.repetitions(28)) + 1)]
    )
    return OrderData(
        accession_number=accession_number(group),
        patient=patient,
        placer_order_number=pick((orc, 2, 1), (obr, 2, 1)),
        filler_order_number=pick((orc, 3, 1), (obr, 3, 1)),
        procedure_code=pick((obr, 4, 1), (obr, 44, 1)),
        procedure_text=pick((obr, 4, 2), (obr, 44, 2), (obr, 4, 5)),
        procedure_coding_system=pick((obr, 4, 3), (obr, 44, 3)),
        modality=modality(pick((group.ipc, 9, 1)), pick((obr, 24, 1))),
        priority=priority(pick((group.tq1, 9, 1), (obr, 27, 6), (orc, 7, 6), (obr, 5, 1))),
        scheduled_at=parse_datetime(scheduled),
        reason=pick((obr, 31, 2), (obr, 31, 1), (obr, 13, 1), (orc, 16, 2)),
        ordering_practitioner=(
            (practitioner(orc, 12) if orc else None) or (practitioner(obr, 16) if obr else None)
        ),
        copies_to=[c for c in copies if c],
        location_code=pick((message.segment("PV1"), 3, 1)),
        location_name=pick((message.segment("PV1"), 3, 9)),
        study_instance_uid=pick((group.ipc, 3, 1), (group.zds, 1, 1)),
    )


@dataclass
class OrderCommand:
    """What one order group asks for: place (or update), cancel, or a status change (ORC-5)."""

    data: OrderData
    place: bool = True
    cancel: bool = False
    status_code: str | None = None  # ORC-5 order status, for SC/SN controls


def extract(message: Message) -> list[OrderCommand]:
    """The orders of the message as plain values, checked, with nothing stored: the ingest
    handler applies them, and the FHIR converter maps them."""
    pid = require_segment(message, "PID", "the patient")
    patient = patient_from_pid(pid)
    if not patient.identifiers:
        raise MissingField("PID", 3, "patient identifier list", pid.index)
    groups = order_groups(message)
    if not groups:
        raise HL7Error(
            f"{message.message_type} has no ORC or OBR segment: there is no order to place",
            segment="ORC",
            code="100",
        )
    return [order_command(group, patient, message) for group in groups]


def order_command(group: OrderGroup, patient: PatientData, message: Message) -> OrderCommand:
    control = group.orc.value(1).upper() if group.orc else "NW"
    data = order_data(group, patient, message)
    where = group.obr or group.orc
    if not data.accession_number:
        raise MissingField(
            where.name, 18 if where.name == "OBR" else 3, "accession / order number", where.index
        )
    if control in CANCEL_CONTROLS:
        return OrderCommand(data, place=False, cancel=True)
    status_code = group.orc.value(5).upper() if control in STATUS_CONTROLS else None
    if group.obr is None and not (data.procedure_code or data.procedure_text):
        if status_code is not None:
            return OrderCommand(data, place=False, status_code=status_code)
        raise HL7Error(
            f"order {data.accession_number} has no OBR (procedure): not an imaging order we "
            "can place; send the OBR with the requested procedure",
            segment="OBR",
            code="100",
        )
    if not (data.procedure_code or data.procedure_text):
        raise MissingField("OBR", 4, "universal service identifier (procedure)", where.index)
    return OrderCommand(data, status_code=status_code)


def handle(message: Message) -> str:
    return "; ".join(apply(command) for command in extract(message))


def apply(command: OrderCommand) -> str:
    data = command.data
    if command.cancel:
        services.cancel_order(data.accession_number, reason=data.reason)
        return f"order {data.accession_number} cancelled"
    if command.place:
        services.place_order(data)
    if command.status_code is not None:
        return apply_status(command.status_code, data)
    return f"order {data.accession_number} placed"


def order_status(status_code: str) -> str | None:
    """ORC-5 order status (HL7 table 0038) to our workflow status; None when not mapped."""
    return ORDER_STATUS_CODES.get(status_code)


def apply_status(status_code: str, data: OrderData) -> str:
    status = order_status(status_code)
    if status is None:
        return f"order {data.accession_number}: status {status_code!r} noted"
    if status == OrderStatus.CANCELLED:
        services.cancel_order(data.accession_number)
    else:
        services.set_order_status(data.accession_number, status)
    return f"order {data.accession_number} is {status}"
