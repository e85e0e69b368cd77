"""HL7 v2 acknowledgments. `build_ack` answers a received message in the sender's own dialect
(its delimiters, version and processing id) with sender and receiver swapped, MSA-2 echoing
the message control id the sender will match, and one ERR segment per problem, written in
the v2.5+ layout (ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 user message) or, for
older versions, as the single ERR-1 they understand. It also answers input that could not be
parsed at all (`message=None`). `parse_ack` reads the answer our own outbound client gets.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .errors import SEGMENT_SEQUENCE_ERROR, HL7ParseError
from .escape import escape
from .message import Message, parse_message
from .separators import DEFAULT_SEPARATORS, Separators

ACK_CODES = ("AA", "AE", "AR", "CA", "CE", "CR")
DEFAULT_VERSION = "2.5.1"

# HL7 table 0357: the text that goes with a code in ERR-3.2.
ERROR_CODE_TEXTS = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "104": "Value too long",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}

# Random start and process id keep ids from two processes started in the same
# millisecond apart; the counter keeps ids from one process apart.
_counter = itertools.count(random.randrange(0x10000))


@dataclass(frozen=True, slots=True)
class AckError:
    code: str  # HL7 table 0357
    text: str  # what was wrong and what to do, for the sender's interface team
    segment: str | None = None
    segment_index: int | None = None  # 1-based position of the segment in the message
    field: int | None = None
    severity: str = "E"  # HL7 table 0516: E error, W warning, I information


def new_control_id() -> str:
    """A message control id unique across processes, at most 20 characters (ST in v2.5)."""
    milliseconds = time.time_ns() // 1_000_000
    return f"A{milliseconds:011X}{os.getpid() & 0xFFFF:04X}{next(_counter) & 0xFFFF:04X}"


def is_enhanced_mode(message: Message) -> bool:
    """MSH-15 or MSH-16 filled in means the sender wants enhanced-mode (CA then AA) acks."""
    # Some senders pad MSH-15 with a space (msfhirconv ADT01-23): that is not a request.
    return bool(message.accept_ack_type.strip() or message.application_ack_type.strip())


def build_ack(
    message: Message | None,
    code: str,
    text: str = "",
    errors: Sequence[AckError] = (),
    *,
    now: datetime | None = None,
    control_id: str | None = None,
    acknowledged_control_id: str | None = None,
    sending_application: str = "RADBRIDGE",
    sending_facility: str = "",
) -> str:
    """The ACK for `message` (None: input that could not be parsed). `control_id` is the
    ACK's own MSH-10 (generated when None); MSA-2 is the message's MSH-10, or
    `acknowledged_control_id` when given (e.g. salvaged from unparseable input)."""
    if code not in ACK_CODES:
        raise ValueError(f"acknowledgment code must be one of {ACK_CODES}, got {code!r}")
    now = now if now is not None else datetime.now().astimezone()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the ACK time must be timezone-aware")
    separators = message.separators if message is not None else DEFAULT_SEPARATORS
    header = message.segments[0] if message is not None else None

    def echoed(field: int, default: str = "") -> str:
        # Echoed fields keep the sender's own escaping and components.
        value = header[field] if header is not None else ""
        return value or escape(default, separators)

    version = (message.version if message is not None else "") or DEFAULT_VERSION
    trigger = escape(message.trigger_event, separators) if message is not None else ""
    message_type = (
        separators.component.join(["ACK", trigger, "ACK"]) if trigger else "ACK"
    )
    msh = [
        "MSH", separators.encoding_characters,
        echoed(5, sending_application), echoed(6, sending_facility),  # our MSH-3/4: their 5/6
        echoed(3), echoed(4),
        now.strftime("%Y%m%d%H%M%S%z"),
        "",
        message_type,
        escape(control_id or new_control_id(), separators),
        echoed(11, "P"),
        echoed(12, DEFAULT_VERSION),
        # No MSH-18: the ACK's bytes are chosen by whoever frames it, not declared here.
    ]
    if acknowledged_control_id is not None:
        acknowledged = escape(acknowledged_control_id, separators)
    else:
        acknowledged = header[10] if header is not None else ""
    msa = ["MSA", code, acknowledged, escape(text, separators)]
    segments = [msh, msa]
    segments.extend(_err_segment(error, separators, version) for error in errors)
    return "".join(separators.field.join(_trimmed(fields)) + "\r" for fields in segments)


def _err_segment(error: AckError, separators: Separators, version: str) -> list[str]:
    component, subcomponent = separators.component, separators.subcomponent
    location = [
        escape(error.segment or "", separators),
        "" if error.segment_index is None else str(error.segment_index),
        "" if error.field is None else str(error.field),
    ]
    code_text = escape(ERROR_CODE_TEXTS.get(error.code, error.text), separators)
    if _version_tuple(version) < (2, 5):
        # Before v2.5, ERR-1 (ELD) holds location and code: SEG^index^field^CE.
        coded = subcomponent.join([escape(error.code, separators), code_text, "HL70357"])
        return ["ERR", component.join([*location, coded])]
    return [
        "ERR",
        "",
        component.join(_trimmed(location)),
        component.join([escape(error.code, separators), code_text, "HL70357"]),
        escape(error.severity, separators),
        "", "", "",
        escape(error.text, separators),
    ]


def _version_tuple(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    # An unreadable version is answered in the current layout.
    return tuple(numbers) or (2, 5)


def _trimmed(values: list[str]) -> list[str]:
    end = len(values)
    while end and not values[end - 1]:
        end -= 1
    return values[:end]


def salvage_control_id(text: str) -> str:
    """MSH-10 read without validating the header, to answer input `parse_message` rejected."""
    start = text.find("MSH")
    if start == -1 or len(text) < start + 4:
        return ""
    line = text[start:].split("\r", 1)[0].split("\n", 1)[0]
    fields = line.split(line[3])
    return fields[9] if len(fields) > 9 else ""  # fields[n - 1] is MSH-n


def parse_ack(text: str) -> tuple[str, str, str]:
    """(MSA-1 code, MSA-2 control id acknowledged, text) of an ACK; the text is MSA-3, or the
    first ERR's user message or code text when MSA-3 is empty."""
    message = parse_message(text)
    msa = message.segment("MSA")
    if msa is None:
        raise HL7ParseError(
            f"the answer to our message has no MSA segment (it is {message.message_type})",
            segment="MSA", code=SEGMENT_SEQUENCE_ERROR,
        )
    reason = msa.value(3)
    error = message.segment("ERR")
    if not reason and error is not None:
        reason = error.value(8) or error.value(3, 2) or error.value(1, 4, 2)
    return msa.value(1), msa.value(2), reason
