"""Test senders that put exactly the given bytes on the wire (pynetdicom, chunked mode)."""

from __future__ import annotations

import contextlib
import struct
from pathlib import Path

from pynetdicom import AE, _config
from pynetdicom.presentation import build_context
from pynetdicom.sop_class import Verification

from radbridge.imaging.wire import acse, pdu

EXPLICIT_LE, IMPLICIT_LE = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2"


@contextlib.contextmanager
def raw_file_sending():
    """pynetdicom sends a file's dataset bytes as they are, without decoding them first."""
    previous = _config.STORE_SEND_CHUNKED_DATASET
    _config.STORE_SEND_CHUNKED_DATASET = True
    try:
        yield
    finally:
        _config.STORE_SEND_CHUNKED_DATASET = previous


def send_files(port: int, files: list[Path], contexts: list[tuple[str, str]],
               calling_ae: str = "PYSCU") -> list[tuple[int, str]]:
    """One association; (status, error comment) per file, -1 when nothing came back."""
    ae = AE(ae_title=calling_ae)
    ae.requested_contexts = [build_context(sop, syntax) for sop, syntax in contexts]
    assoc = ae.associate("127.0.0.1", port, ae_title="RADBRIDGE")
    assert assoc.is_established, "association refused"
    answers = []
    with raw_file_sending():
        for path in files:
            status = assoc.send_c_store(str(path))
            answers.append((int(status.Status), str(status.get("ErrorComment", "")))
                           if "Status" in status else (-1, ""))
    assoc.release()
    return answers


def item(item_type: int, value: bytes) -> bytes:
    return struct.pack(">BxH", item_type, len(value)) + value


def associate_rq(contexts=((1, str(Verification), (IMPLICIT_LE,)),), calling=b"FUZZ") -> bytes:
    body = b"\x00\x01\x00\x00" + b"RADBRIDGE".ljust(16) + calling.ljust(16) + bytes(32)
    body += item(0x10, acse.APPLICATION_CONTEXT)
    for context_id, abstract, syntaxes in contexts:
        value = bytes((context_id, 0, 0, 0)) + item(0x30, abstract.encode())
        value += b"".join(item(0x40, ts.encode()) for ts in syntaxes)
        body += item(0x20, value)
    body += item(0x50, item(0x51, struct.pack(">L", 16384)))
    return pdu.HEADER.pack(pdu.ASSOCIATE_RQ, len(body)) + body


def echo_command(message_id: int = 1) -> bytes:
    uid = str(Verification).encode() + b"\0"
    return command_set([(0x0002, uid), (0x0100, struct.pack("<H", 0x0030)),
                        (0x0110, struct.pack("<H", message_id)),
                        (0x0800, struct.pack("<H", 0x0101))])


def store_command(sop_class: str, sop_instance: str, message_id: int = 1) -> bytes:
    """A C-STORE-RQ announcing a dataset (whose fragments the caller sends)."""
    def uid(value: str) -> bytes:
        return value.encode() + (b"\0" if len(value) % 2 else b"")

    return command_set([(0x0002, uid(sop_class)), (0x0100, struct.pack("<H", 0x0001)),
                        (0x0110, struct.pack("<H", message_id)),
                        (0x0700, struct.pack("<H", 0)), (0x0800, struct.pack("<H", 0x0000)),
                        (0x1000, uid(sop_instance))])


def command_set(elements: list[tuple[int, bytes]]) -> bytes:
    """Group 0000 elements (implicit VR little endian) after their group length."""
    body = b"".join(struct.pack("<HHL", 0, tag, len(v)) + v for tag, v in elements)
    return struct.pack("<HHLL", 0, 0, 4, len(body)) + body


def dataset_fragment(context_id: int, fragment: bytes, last: bool = False) -> bytes:
    """One P-DATA-TF holding a piece of a dataset."""
    return (pdu.HEADER.pack(pdu.P_DATA_TF, pdu.PDV_HEADER.size + len(fragment))
            + pdu.PDV_HEADER.pack(len(fragment) + 2, context_id, 0x02 if last else 0x00)
            + fragment)
