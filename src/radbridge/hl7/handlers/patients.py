"""ADT: patients registered or updated (A01/A04/A05/A08/A28/A31), merged (A40),
re-identified (A47)."""

from __future__ import annotations

from radbridge.clinical import services
from radbridge.clinical.data import IdentifierData, PatientData

from ..wire import Message
from .fields import MissingField, identifiers, patient_from_pid, require_segment, warn


def extract(message: Message) -> PatientData:
    """The patient of the message (PID) as a plain value, checked, with nothing stored."""
    pid = require_segment(message, "PID", "the patient")
    patient = patient_from_pid(pid)
    if not patient.identifiers:
        raise MissingField("PID", 3, "patient identifier list", pid.index)
    return patient


def register(message: Message) -> str:
    record = services.register_patient(extract(message))
    return f"patient {record.id} registered/updated"


def extract_merges(message: Message) -> list[tuple[PatientData, list[IdentifierData]]]:
    """A40: each PID (the survivor) is followed by the MRG naming the record merged into it."""
    merges, survivor = [], None
    for segment in message.segments:
        if segment.name == "PID":
            survivor = segment
        elif segment.name == "MRG" and survivor is not None:
            merges.append((survivor, segment))
    if not merges:
        require_segment(message, "PID", "the surviving patient")
        require_segment(message, "MRG", "the patient merged into it")
    pairs = []
    for pid, mrg in merges:
        patient = patient_from_pid(pid)
        if not patient.identifiers:
            raise MissingField("PID", 3, "patient identifier list", pid.index)
        merged = identifiers(mrg, 1) or identifiers(mrg, 4)
        if not merged:
            raise MissingField("MRG", 1, "prior patient identifier list", mrg.index)
        pairs.append((patient, merged))
    return pairs


def merge(message: Message) -> str:
    outcomes = []
    for patient, merged in extract_merges(message):
        record = services.merge_patients(patient, merged)
        outcomes.append(f"{merged[0].value} merged into patient {record.id}")
    return "; ".join(outcomes)


def change_identifier(message: Message) -> str:
    """A47: PID-3 carries the new identifier, MRG-1 the one it replaces."""
    pid = require_segment(message, "PID", "the new identifier")
    mrg = require_segment(message, "MRG", "the prior identifier")
    new, old = identifiers(pid, 3), identifiers(mrg, 1)
    if not new:
        raise MissingField("PID", 3, "patient identifier list", pid.index)
    if not old:
        raise MissingField("MRG", 1, "prior patient identifier list", mrg.index)
    if services.find_patient(old) is None:
        # Nothing to re-identify: keep the patient under the new identifier.
        warn(f"MRG-1 {old[0].value} is unknown here; patient registered as {new[0].value}")
        return register(message)
    record = services.change_patient_identifier(old[0], new[0])
    return f"patient {record.id}: {old[0].value} is now {new[0].value}"
