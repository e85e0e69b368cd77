"""Association negotiation: an A-ASSOCIATE-RQ in, an A-ASSOCIATE-AC or -RJ out (PS3.8 9.3.2-4).

The request is decoded with pynetdicom's PDU classes (well tested against odd requestors);
the answer is encoded here. Our rules: a calling AE title outside the allow-list is rejected;
a presentation context is accepted when its abstract syntax is one we serve and one of its
transfer syntaxes is ours (the requestor's first choice wins); we announce our receive PDU
size. Role selection and asynchronous operations are not answered, which means the defaults:
we are the SCP, one operation at a time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pynetdicom.pdu import A_ASSOCIATE_RQ

from . import pdu

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
# RadBridge's implementation class UID (a UUID-derived UID, PS3.5 B.2) and version name.
IMPLEMENTATION_CLASS_UID = b"2.25.161178470137392712373014557405412946235"
IMPLEMENTATION_VERSION = b"RADBRIDGE_1"

# A-ASSOCIATE-RJ results, sources and reasons (PS3.8 table 9-21).
REJECTED_PERMANENT, REJECTED_TRANSIENT = 1, 2
SOURCE_USER, SOURCE_ACSE, SOURCE_PRESENTATION = 1, 2, 3
REASON_NONE, REASON_CALLING_AE_NOT_RECOGNIZED = 1, 3
REASON_PROTOCOL_VERSION, REASON_LOCAL_LIMIT = 2, 2

# Presentation context results (PS3.8 table 9-18).
ACCEPTED, ABSTRACT_SYNTAX_NOT_SUPPORTED, TRANSFER_SYNTAXES_NOT_SUPPORTED = 0, 3, 4

ITEM = struct.Struct(">BxH")


@dataclass(frozen=True)
class Policy:
    """What this SCP accepts; `calling_ae_titles` empty means any caller."""

    abstract_syntaxes: frozenset[str]
    transfer_syntaxes: tuple[str, ...]
    max_pdu: int
    calling_ae_titles: frozenset[str] = frozenset()


@dataclass
class Association:
    calling_ae_title: str
    called_ae_title: str
    peer_max_pdu: int
    peer_address: str = ""
    # context ID -> (abstract syntax, transfer syntax) of the accepted contexts
    contexts: dict[int, tuple[str, str]] = field(default_factory=dict)


class Rejected(Exception):
    """The request is refused: `answer` is the A-ASSOCIATE-RJ to send."""

    def __init__(self, message: str, answer: bytes):
        super().__init__(message)
        self.answer = answer


def negotiate(body: bytes, policy: Policy) -> tuple[Association, bytes]:
    """The association and the A-ASSOCIATE-AC for a request body; raises Rejected or
    pdu.ProtocolError (a request that cannot be decoded)."""
    if len(body) < 68:
        raise pdu.ProtocolError("A-ASSOCIATE-RQ shorter than its fixed fields")
    request = A_ASSOCIATE_RQ()
    try:
        request.decode(pdu.HEADER.pack(pdu.ASSOCIATE_RQ, len(body)) + bytes(body))
        contexts = [(item.context_id, str(item.abstract_syntax or ""),
                     [str(ts) for ts in item.transfer_syntax])
                    for item in request.presentation_context]
        user_info = request.user_information
        peer_max_pdu = (user_info.maximum_length or 0) if user_info else 0
    except Exception as error:  # noqa: BLE001 - any decoding failure is the peer's fault
        raise pdu.ProtocolError(
            f"A-ASSOCIATE-RQ cannot be decoded ({type(error).__name__}: {error})"[:300]
        ) from None
    calling = bytes(body[20:36]).decode("ascii", "replace").strip()
    called = bytes(body[4:20]).decode("ascii", "replace").strip()
    if not body[1] & 1:
        raise Rejected("protocol version not supported",
                       pdu.associate_rj(REJECTED_PERMANENT, SOURCE_ACSE, REASON_PROTOCOL_VERSION))
    if policy.calling_ae_titles and calling not in policy.calling_ae_titles:
        raise Rejected(f"calling AE title {calling!r} is not allowed",
                       pdu.associate_rj(REJECTED_PERMANENT, SOURCE_USER,
                                        REASON_CALLING_AE_NOT_RECOGNIZED))
    association = Association(calling, called, peer_max_pdu)
    items = []
    for context_id, abstract, proposed in contexts:
        if context_id is None or not context_id % 2:
            raise pdu.ProtocolError(f"presentation context ID {context_id} is not odd")
        chosen = next((ts for ts in proposed if ts in policy.transfer_syntaxes), None)
        if abstract not in policy.abstract_syntaxes:
            result = ABSTRACT_SYNTAX_NOT_SUPPORTED
        elif chosen is None:
            result = TRANSFER_SYNTAXES_NOT_SUPPORTED
        else:
            result = ACCEPTED
            association.contexts[context_id] = (abstract, chosen)
        items.append(context_item(context_id, result, chosen or (proposed or [""])[0]))
    return association, accept(body, items, policy.max_pdu)


def context_item(context_id: int, result: int, transfer_syntax: str) -> bytes:
    syntax = transfer_syntax.encode("ascii", "replace")
    sub_item = ITEM.pack(0x40, len(syntax)) + syntax
    return ITEM.pack(0x21, 4 + len(sub_item)) + bytes((context_id, 0, result, 0)) + sub_item


def accept(request_body: bytes, context_items: list[bytes], max_pdu: int) -> bytes:
    user_info = (
        ITEM.pack(0x51, 4) + struct.pack(">L", max_pdu)
        + ITEM.pack(0x52, len(IMPLEMENTATION_CLASS_UID)) + IMPLEMENTATION_CLASS_UID
        + ITEM.pack(0x55, len(IMPLEMENTATION_VERSION)) + IMPLEMENTATION_VERSION
    )
    body = b"".join((
        b"\x00\x01\x00\x00", bytes(request_body[4:36]), bytes(32),  # version, AE titles echoed
        ITEM.pack(0x10, len(APPLICATION_CONTEXT)), APPLICATION_CONTEXT,
        *context_items,
        ITEM.pack(0x50, len(user_info)), user_info,
    ))
    return pdu.HEADER.pack(pdu.ASSOCIATE_AC, len(body)) + body
