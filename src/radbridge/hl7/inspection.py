"""A journal entry as an operator reads it: the raw text, and the same message parsed into
named fields (PID-5 "Patient name", ...), for the interface monitor's side-by-side view.

Only the fields most messages carry are named; the others show by position. A message that
does not decode or parse still shows its raw text, with the parser's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from radbridge.clinical.services import find_patient

from .handlers.fields import patient_from_pid
from .models import InboundMessage
from .wire import HL7Error, Message, decode_message, parse_message

FIELD_NAMES = {
    "MSH": {3: "Sending application", 4: "Sending facility", 5: "Receiving application",
            6: "Receiving facility", 7: "Date/time of message", 9: "Message type",
            10: "Message control ID", 11: "Processing ID", 12: "Version ID",
            18: "Character set"},
    "EVN": {1: "Event type code", 2: "Recorded date/time"},
    "PID": {2: "Patient ID (external)", 3: "Patient identifier list", 5: "Patient name",
            7: "Date of birth", 8: "Sex", 11: "Address", 13: "Phone (home)",
            14: "Phone (business)"},
    "MRG": {1: "Prior patient identifier list"},
    "PV1": {2: "Patient class", 3: "Assigned location", 8: "Referring doctor",
            19: "Visit number"},
    "ORC": {1: "Order control", 2: "Placer order number", 3: "Filler order number",
            5: "Order status", 7: "Quantity/timing", 9: "Date/time of transaction",
            12: "Ordering provider"},
    "OBR": {2: "Placer order number", 3: "Filler order number", 4: "Universal service ID",
            7: "Observation date/time", 16: "Ordering provider", 18: "Placer field 1",
            22: "Results report/status change", 24: "Diagnostic service section",
            25: "Result status", 27: "Quantity/timing", 31: "Reason for study",
            32: "Principal result interpreter"},
    "OBX": {2: "Value type", 3: "Observation identifier", 4: "Observation sub-ID",
            5: "Observation value", 11: "Observation result status"},
    "SCH": {1: "Placer appointment ID", 2: "Filler appointment ID", 7: "Appointment reason",
            11: "Appointment timing quantity", 25: "Filler status code"},
    "AIS": {3: "Universal service ID", 4: "Start date/time"},
    "AIL": {3: "Location resource ID"},
    "TXA": {2: "Document type", 12: "Unique document number", 17: "Completion status"},
}


@dataclass(frozen=True)
class ParsedField:
    reference: str  # "PID-5"
    name: str
    value: str


@dataclass(frozen=True)
class ParsedSegment:
    name: str
    index: int
    fields: list[ParsedField]


# A journal entry may hold a 10 MB message; a page shows enough of it to read, and says so.
MAX_SHOWN_CHARS = 200_000
MAX_SHOWN_SEGMENTS = 300


@dataclass
class Inspection:
    text: str
    segments: list[ParsedSegment] = field(default_factory=list)
    problem: str = ""
    message: Message | None = None
    total_chars: int = 0
    total_segments: int = 0

    @property
    def shortened(self) -> bool:
        return len(self.text) < self.total_chars or len(self.segments) < self.total_segments


def inspect(row: InboundMessage) -> Inspection:
    raw = bytes(row.raw)
    try:
        text = decode_message(raw).text
    except HL7Error as error:
        text = raw.decode("utf-8", "replace")
        return Inspection(text[:MAX_SHOWN_CHARS], problem=str(error), total_chars=len(text))
    shown = text[:MAX_SHOWN_CHARS]
    try:
        message = parse_message(text)
    except HL7Error as error:
        return Inspection(shown, problem=str(error), total_chars=len(text))
    segments = []
    for segment in list(message)[:MAX_SHOWN_SEGMENTS]:
        names = FIELD_NAMES.get(segment.name, {})
        fields = [
            ParsedField(f"{segment.name}-{number}", names.get(number, ""), segment[number])
            for number in range(1, segment.field_count + 1)
            if segment[number]
        ]
        segments.append(ParsedSegment(segment.name, segment.index, fields))
    return Inspection(shown, segments, message=message, total_chars=len(text),
                      total_segments=len(message))


def patient_id_of(inspection: Inspection) -> int | None:
    """The patient the message is about (PID-3 identifiers), if we know them: a journal
    entry opened is a read of that patient's record."""
    pid = inspection.message.segment("PID") if inspection.message else None
    if pid is None:
        return None
    try:
        patient = find_patient(patient_from_pid(pid).identifiers)
    except HL7Error:
        return None
    return patient.pk if patient else None
