"""DIMSE command sets (PS3.7 section 9 and annex E): read a request, write a response.

A command set is group 0000 in Implicit VR Little Endian. We read the few elements a C-ECHO
or C-STORE request needs and write the response with the status and, on failure, an error
comment (LO, 64 characters at most).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .pdu import ProtocolError

ELEMENT = struct.Struct("<HHL")
US = struct.Struct("<H")

C_STORE_RQ, C_ECHO_RQ = 0x0001, 0x0030
RESPONSE_BIT = 0x8000
NO_DATASET = 0x0101
STATUS_UNRECOGNIZED_OPERATION = 0x0211
# Warnings (PS3.7 C.4.2.1.4): the instance is stored all the same.
WARNING_STATUSES = frozenset({0x0001, 0x0107, 0x0116})

AFFECTED_SOP_CLASS = 0x0002
COMMAND_FIELD = 0x0100
MESSAGE_ID = 0x0110
MESSAGE_ID_RESPONDED = 0x0120
DATASET_TYPE = 0x0800
STATUS = 0x0900
ERROR_COMMENT = 0x0902
AFFECTED_SOP_INSTANCE = 0x1000


@dataclass(frozen=True)
class Command:
    command_field: int
    message_id: int
    has_dataset: bool
    sop_class_uid: str
    sop_instance_uid: str


def parse_command(data: bytes) -> Command:
    """Read a command set; a malformed one is a ProtocolError."""
    elements: dict[int, bytes] = {}
    position, end = 0, len(data)
    while position < end:
        if end - position < ELEMENT.size:
            raise ProtocolError("command set ends inside an element header")
        group, element, length = ELEMENT.unpack_from(data, position)
        position += ELEMENT.size
        if group != 0x0000 or position + length > end:
            raise ProtocolError(
                f"command set holds a malformed element ({group:04X},{element:04X})")
        elements[element] = bytes(data[position:position + length])
        position += length
    try:
        (command_field,) = US.unpack(elements[COMMAND_FIELD])
        (message_id,) = US.unpack(elements.get(MESSAGE_ID, b"\0\0"))
        (dataset_type,) = US.unpack(elements.get(DATASET_TYPE, US.pack(NO_DATASET)))
    except (KeyError, struct.error):
        raise ProtocolError("command set lacks a readable Command Field or Message ID") from None
    return Command(
        command_field=command_field,
        message_id=message_id,
        has_dataset=dataset_type != NO_DATASET,
        sop_class_uid=uid_text(elements.get(AFFECTED_SOP_CLASS, b"")),
        sop_instance_uid=uid_text(elements.get(AFFECTED_SOP_INSTANCE, b"")),
    )


def is_success(status: int) -> bool:
    """Success or a warning: the operation was done."""
    return status == 0x0000 or 0xB000 <= status <= 0xBFFF or status in WARNING_STATUSES


def uid_text(value: bytes) -> str:
    return value.rstrip(b"\0 ").decode("ascii", "replace")


def response(request: Command, status: int, comment: str = "") -> bytes:
    """The response command set to `request`, with `status` and an optional error comment."""
    elements = [
        (AFFECTED_SOP_CLASS, padded(request.sop_class_uid.encode("ascii", "replace"), b"\0")),
        (COMMAND_FIELD, US.pack(request.command_field | RESPONSE_BIT)),
        (MESSAGE_ID_RESPONDED, US.pack(request.message_id)),
        (DATASET_TYPE, US.pack(NO_DATASET)),
        (STATUS, US.pack(status)),
    ]
    if comment:
        elements.append((ERROR_COMMENT, padded(comment[:64].encode("ascii", "replace"), b" ")))
    if request.sop_instance_uid:
        elements.append(
            (AFFECTED_SOP_INSTANCE, padded(request.sop_instance_uid.encode("ascii", "replace"),
                                           b"\0")))
    body = b"".join(ELEMENT.pack(0, tag, len(value)) + value for tag, value in elements)
    return ELEMENT.pack(0, 0, 4) + struct.pack("<L", len(body)) + body


def padded(value: bytes, pad: bytes) -> bytes:
    return value + pad if len(value) % 2 else value
