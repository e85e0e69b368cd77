"""DICOM upper layer PDUs (PS3.8 section 9.3): reading them off a socket and the small ones we send.

A PDU is a 6-byte header (type, reserved, 32-bit big-endian length) and its body. Reading
checks the length against a limit before allocating anything, so a hostile length costs
nothing; a peer that stops in the middle of a PDU meets the socket's timeout.
"""

from __future__ import annotations

import socket
import struct

ASSOCIATE_RQ = 0x01
ASSOCIATE_AC = 0x02
ASSOCIATE_RJ = 0x03
P_DATA_TF = 0x04
RELEASE_RQ = 0x05
RELEASE_RP = 0x06
ABORT = 0x07

HEADER = struct.Struct(">BxL")
PDV_HEADER = struct.Struct(">LBB")  # item length, presentation context ID, control header

# A-ABORT sources and reasons (PS3.8 table 9-26).
SOURCE_USER = 0x00
SOURCE_PROVIDER = 0x02
REASON_NOT_SPECIFIED = 0x00
REASON_UNRECOGNIZED_PDU = 0x01
REASON_UNEXPECTED_PDU = 0x02
REASON_UNRECOGNIZED_PARAMETER = 0x04
REASON_UNEXPECTED_PARAMETER = 0x05
REASON_INVALID_PARAMETER = 0x06


class ProtocolError(Exception):
    """The peer broke the protocol: the association ends with an A-ABORT carrying `reason`."""

    def __init__(self, message: str, reason: int = REASON_INVALID_PARAMETER):
        super().__init__(message)
        self.reason = reason


class PeerClosed(Exception):
    """The peer closed the connection (between PDUs or in the middle of one)."""


def read_exactly(sock: socket.socket, count: int) -> bytearray:
    buffer = bytearray(count)
    view = memoryview(buffer)
    received = 0
    while received < count:
        got = sock.recv_into(view[received:], count - received)
        if not got:
            raise PeerClosed(f"connection closed after {received} of {count} bytes")
        received += got
    return buffer


def read_pdu(sock: socket.socket, limit: int) -> tuple[int, bytearray]:
    """(type, body) of the next PDU; a body longer than `limit` is a ProtocolError."""
    pdu_type, length = HEADER.unpack(read_exactly(sock, HEADER.size))
    if pdu_type not in (ASSOCIATE_RQ, P_DATA_TF, RELEASE_RQ, ABORT, ASSOCIATE_AC,
                        ASSOCIATE_RJ, RELEASE_RP):
        raise ProtocolError(f"unknown PDU type 0x{pdu_type:02X}", REASON_UNRECOGNIZED_PDU)
    if length > limit:
        raise ProtocolError(
            f"PDU of {length} bytes exceeds the {limit} bytes negotiated",
            REASON_INVALID_PARAMETER,
        )
    return pdu_type, read_exactly(sock, length)


def pdv_items(body: bytearray):
    """(context ID, is command, is last fragment, fragment) for each PDV of a P-DATA-TF."""
    view = memoryview(body)
    position, end = 0, len(body)
    if end == 0:
        raise ProtocolError("P-DATA-TF without any PDV item", REASON_INVALID_PARAMETER)
    while position < end:
        if end - position < PDV_HEADER.size:
            raise ProtocolError("P-DATA-TF ends inside a PDV item header")
        length, context_id, control = PDV_HEADER.unpack_from(body, position)
        if length < 2 or position + 4 + length > end:
            raise ProtocolError(f"PDV item length {length} does not fit its P-DATA-TF")
        yield context_id, bool(control & 1), bool(control & 2), view[
            position + 6:position + 4 + length]
        position += 4 + length


def p_data(context_id: int, command: bytes) -> bytes:
    """One P-DATA-TF holding a whole command set as its last fragment."""
    return (HEADER.pack(P_DATA_TF, PDV_HEADER.size + len(command))
            + PDV_HEADER.pack(len(command) + 2, context_id, 0x03) + command)


def release_rp() -> bytes:
    return HEADER.pack(RELEASE_RP, 4) + bytes(4)


def abort(source: int = SOURCE_PROVIDER, reason: int = REASON_NOT_SPECIFIED) -> bytes:
    return HEADER.pack(ABORT, 4) + bytes((0, 0, source, reason))


def associate_rj(result: int, source: int, reason: int) -> bytes:
    return HEADER.pack(ASSOCIATE_RJ, 4) + bytes((0, result, source, reason))
