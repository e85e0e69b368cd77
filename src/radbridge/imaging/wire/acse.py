"""Association negotiation: an A-ASSOCIATE-RQ in, an A-ASSOCIATE-AC or -RJ out (PS3.8 9.3.2-4).

Both are decoded and encoded here: pynetdicom's PDU classes validate every UID of every
context, which cost more than a whole C-STORE when a sender proposes 128 contexts. Our
rules: a calling AE title outside the allow-list is rejected; a presentation context is
accepted when its abstract syntax is one we serve and one of its transfer syntaxes is ours
(the requestor's first choice wins); we announce our receive PDU size. Role selection and
asynchronous operations are not answered, which means the defaults: we are the SCP, one
operation at a time.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from . import pdu
from .dimse import uid_text

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
# RadBridge's implementation class UID (a UUID-derived UID, PS3.5 B.2) and version name.
IMPLEMENTATION_CLASS_UID = b"2.25.161178470137392712373014557405412946235"
IMPLEMENTATION_VERSION = b"RADBRIDGE_1"

# A-ASSOCIATE-RJ results, sources and reasons (PS3.8 table 9-21).
REJECTED_PERMANENT, REJECTED_TRANSIENT = 1, 2
SOURCE_USER, SOURCE_ACSE, SOURCE_PRESENTATION = 1, 2, 3
REASON_NONE, REASON_CALLING_AE_NOT_RECOGNIZED, REASON_CALLED_AE_NOT_RECOGNIZED = 1, 3, 7
REASON_PROTOCOL_VERSION, REASON_LOCAL_LIMIT = 2, 2

# Presentation context results (PS3.8 table 9-18).
ACCEPTED, ABSTRACT_SYNTAX_NOT_SUPPORTED, TRANSFER_SYNTAXES_NOT_SUPPORTED = 0, 3, 4

ITEM = struct.Struct(">BxH")


@dataclass(frozen=True)
class Policy:
    """What this SCP accepts; `calling_ae_titles` empty means any caller, `called_ae_titles`
    empty means any called AE title (many senders are configured with a wrong one)."""

    abstract_syntaxes: frozenset[str]
    transfer_syntaxes: tuple[str, ...]
    max_pdu: int
    calling_ae_titles: frozenset[str] = frozenset()
    called_ae_titles: frozenset[str] = frozenset()


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
    contexts, peer_max_pdu = parse_request(body)
    calling, called = ae_titles(body)
    if not body[1] & 1:
        raise Rejected("protocol version not supported",
                       pdu.associate_rj(REJECTED_PERMANENT, SOURCE_ACSE, REASON_PROTOCOL_VERSION))
    if policy.calling_ae_titles and calling not in policy.calling_ae_titles:
        raise Rejected(f"calling AE title {calling!r} is not allowed",
                       pdu.associate_rj(REJECTED_PERMANENT, SOURCE_USER,
                                        REASON_CALLING_AE_NOT_RECOGNIZED))
    if policy.called_ae_titles and called not in policy.called_ae_titles:
        raise Rejected(f"called AE title {called!r} is not ours "
                       f"({', '.join(sorted(policy.called_ae_titles))})",
                       pdu.associate_rj(REJECTED_PERMANENT, SOURCE_USER,
                                        REASON_CALLED_AE_NOT_RECOGNIZED))
    association = Association(calling, called, peer_max_pdu)
    items = []
    for context_id, abstract, proposed in contexts:
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


def ae_titles(body: bytes) -> tuple[str, str]:
    """(calling, called) AE titles of a request body, as far as it has them."""
    calling = bytes(body[20:36]).decode("ascii", "replace").strip()
    called = bytes(body[4:20]).decode("ascii", "replace").strip()
    return calling, called


def parse_request(body: bytes) -> tuple[list[tuple[int, str, list[str]]], int]:
    """([(context ID, abstract syntax, transfer syntaxes)], peer's max PDU) of a request."""
    if len(body) < 68:
        raise pdu.ProtocolError("A-ASSOCIATE-RQ shorter than its fixed fields")
    contexts, peer_max_pdu = [], 0
    for item_type, value in items_of(body, 68):
        if item_type == 0x20:
            if len(value) < 4 or not value[0] % 2:
                raise pdu.ProtocolError("presentation context item without an odd ID")
            abstract, syntaxes = "", []
            for sub_type, sub_value in items_of(value, 4):
                if sub_type == 0x30:
                    abstract = uid_text(sub_value)
                elif sub_type == 0x40:
                    syntaxes.append(uid_text(sub_value))
            contexts.append((value[0], abstract, syntaxes))
        elif item_type == 0x50:
            for sub_type, sub_value in items_of(value, 0):
                if sub_type == 0x51 and len(sub_value) == 4:
                    (peer_max_pdu,) = struct.unpack(">L", sub_value)
    if len({context[0] for context in contexts}) != len(contexts):
        raise pdu.ProtocolError("two presentation contexts share one ID")
    return contexts, peer_max_pdu


def items_of(data: bytes, position: int):
    """(type, value) of each item (type, reserved, 16-bit length, value) from `position`."""
    end = len(data)
    while position < end:
        if end - position < ITEM.size:
            raise pdu.ProtocolError("A-ASSOCIATE-RQ ends inside an item header")
        item_type, length = ITEM.unpack_from(data, position)
        position += ITEM.size
        if position + length > end:
            raise pdu.ProtocolError(f"item 0x{item_type:02X} of {length} bytes overruns its PDU")
        yield item_type, bytes(data[position:position + length])
        position += length


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
