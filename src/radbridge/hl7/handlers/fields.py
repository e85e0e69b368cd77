"""HL7 v2 data types (CX, XPN, XCN, XAD, XTN, DTM) read into clinical values.

Shared by every handler. Each function names the field it reads, so a reader can check the
mapping against the standard; the V2-to-FHIR mappings are the reference where they apply.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone

from django.utils import timezone as django_timezone

from radbridge.clinical.choices import Priority, Sex
from radbridge.clinical.data import IdentifierData, PatientData, PractitionerData

from ..wire import HL7Error, Message, Segment

DTM = re.compile(
    r"^(?P<year>\d{4})(?P<month>\d{2})?(?P<day>\d{2})?(?:T?(?P<hour>\d{2})(?P<minute>\d{2})?"
    r"(?P<second>\d{2})?(?:\.(?P<fraction>\d{1,4}))?)?(?P<offset>[+-]\d{4})?$"
)
PRIORITY_CODES = {
    "S": Priority.STAT,
    "STAT": Priority.STAT,
    "A": Priority.ASAP,
    "T": Priority.URGENT,
    "R": Priority.ROUTINE,
}
SEX_CODES = {
    "F": Sex.FEMALE,
    "M": Sex.MALE,
    "O": Sex.OTHER,
    "A": Sex.OTHER,
    "N": Sex.OTHER,
    "U": Sex.UNKNOWN,
}
# DICOM modality codes, to tell a modality in OBR-24 from a department name.
MODALITIES = frozenset(
    "CR CT DX ES IO MG MR NM OP OT PT PX RF RG SC US XA XC BMD DG EPS HC IVUS OCT SM".split()
)


_warnings: ContextVar[list[str] | None] = ContextVar("hl7_handler_warnings", default=None)


def warn(text: str) -> None:
    """Note something the sender should fix that did not stop the message being applied."""
    notes = _warnings.get()
    if notes is None:
        notes = []
        _warnings.set(notes)
    notes.append(text)


def collected_warnings() -> list[str]:
    """Return and clear what handlers noted while applying the current message."""
    notes = _warnings.get() or []
    _warnings.set(None)
    return notes


class MissingField(HL7Error):
    """A field the handler cannot do without is empty."""

    def __init__(self, segment: str, field: int, what: str, segment_index: int | None = None):
        super().__init__(
            f"{segment}-{field} ({what}) is empty: the message cannot be applied without it",
            segment=segment,
            segment_index=segment_index,
            field=field,
            code="101",
        )


def require_segment(message: Message, name: str, what: str) -> Segment:
    segment = message.segment(name)
    if segment is None:
        raise HL7Error(
            f"{message.message_type} has no {name} segment ({what}): add it and resend",
            segment=name,
            code="100",
        )
    return segment


def parse_datetime(value: str) -> datetime | None:
    """DTM/TS to an aware datetime; a value without offset is in the centre's time zone."""
    match = DTM.match(value.strip()) if value else None
    if match is None:
        return None
    parts = match.groupdict()
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")[:6]),
        )
    except ValueError:
        return None
    offset = parts["offset"]
    if offset:
        sign = 1 if offset[0] == "+" else -1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return moment.replace(tzinfo=timezone(sign * delta))
    return django_timezone.make_aware(moment)


def parse_date(value: str) -> date | None:
    moment = parse_datetime(value[:8]) if value and len(value.strip()) >= 8 else None
    return moment.date() if moment else None


def identifiers(segment: Segment, field: int) -> list[IdentifierData]:
    """CX repetitions: ID (1), assigning authority (4: namespace, else universal ID), type (5)."""
    found = []
    for repetition in segment.repetitions(field):
        value = repetition.value(1)
        if value:
            authority = repetition.value(4, 1) or repetition.value(4, 2)
            found.append(IdentifierData(value, authority, repetition.value(5)))
    return found


def patient_from_pid(pid: Segment) -> PatientData:
    """PID → PatientData: 3 identifiers (2 and 4 as fallbacks), 5 name, 7 birth date,
    8 sex, 11 address, 13/14 phones and email."""
    ids = identifiers(pid, 3) or identifiers(pid, 2) or identifiers(pid, 4)
    phones, email = [], ""
    for field in (13, 14):
        for repetition in pid.repetitions(field):
            number = repetition.value(1) or repetition.value(12)
            if repetition.value(2) == "NET" or repetition.value(3) == "Internet":
                email = email or repetition.value(4) or number
            elif number:
                phones.append(number)
            elif repetition.value(4) and "@" in repetition.value(4):
                email = email or repetition.value(4)
    return PatientData(
        identifiers=ids,
        family_name=pid.value(5, 1, 1),
        given_name=pid.value(5, 2),
        middle_name=pid.value(5, 3),
        name_suffix=pid.value(5, 4),
        name_prefix=pid.value(5, 5),
        birth_date=parse_date(pid.value(7)),
        sex=SEX_CODES.get(pid.value(8).upper(), ""),
        phones=phones,
        email=email,
        address_line=" ".join(p for p in (pid.value(11, 1, 1), pid.value(11, 2)) if p),
        address_city=pid.value(11, 3),
        address_state=pid.value(11, 4),
        address_postal_code=pid.value(11, 5),
        address_country=pid.value(11, 6),
    )


def practitioner(segment: Segment, field: int, repetition: int = 1) -> PractitionerData | None:
    """XCN: ID (1), family (2), given (3), suffix (5), prefix (6), authority (9)."""
    value = segment.repetitions(field)
    if len(value) < repetition:
        return None
    xcn = value[repetition - 1]
    data = PractitionerData(
        identifier=xcn.value(1),
        assigning_authority=xcn.value(9, 1),
        family_name=xcn.value(2, 1),
        given_name=xcn.value(3),
        suffix=xcn.value(5),
        prefix=xcn.value(6),
    )
    return data if data.identifier or data.family_name else None


def interpreter(segment: Segment, field: int) -> PractitionerData | None:
    """NDL (OBR-32 principal result interpreter): a CNN in component 1, by sub-components."""
    data = PractitionerData(
        identifier=segment.value(field, 1, 1),
        family_name=segment.value(field, 1, 2),
        given_name=segment.value(field, 1, 3),
        suffix=segment.value(field, 1, 5),
        prefix=segment.value(field, 1, 6),
        assigning_authority=segment.value(field, 1, 9),
    )
    return data if data.identifier or data.family_name else None


def priority(code: str) -> str:
    return PRIORITY_CODES.get(code.strip().upper(), "") if code else ""


def modality(*candidates: str) -> str:
    for candidate in candidates:
        if candidate and candidate.strip().upper() in MODALITIES:
            return candidate.strip().upper()
    return ""
