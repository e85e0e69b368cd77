"""The Part 10 file header (PS3.10 7.1) put before a received dataset: preamble, "DICM", group 2.

Written by hand, as pynetdicom's `encoded_dataset()` would write it, so a received dataset
goes to its file without being decoded or re-encoded.
"""

from __future__ import annotations

import struct

from .acse import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION


def element(tag: int, vr: bytes, value: bytes, pad: bytes) -> bytes:
    if len(value) % 2:
        value += pad
    if vr == b"OB":
        return struct.pack("<HH2sxxL", 0x0002, tag, vr, len(value)) + value
    return struct.pack("<HH2sH", 0x0002, tag, vr, len(value)) + value


def file_header(sop_class_uid: str, sop_instance_uid: str, transfer_syntax_uid: str,
                source_ae_title: str) -> bytes:
    group = b"".join((
        element(0x0001, b"OB", b"\x00\x01", b"\0"),
        element(0x0002, b"UI", sop_class_uid.encode("ascii", "replace"), b"\0"),
        element(0x0003, b"UI", sop_instance_uid.encode("ascii", "replace"), b"\0"),
        element(0x0010, b"UI", transfer_syntax_uid.encode("ascii", "replace"), b"\0"),
        element(0x0012, b"UI", IMPLEMENTATION_CLASS_UID, b"\0"),
        element(0x0013, b"SH", IMPLEMENTATION_VERSION, b" "),
        element(0x0016, b"AE", source_ae_title.encode("ascii", "replace")[:16], b" ")
        if source_ae_title else b"",
    ))
    return bytes(128) + b"DICM" + element(0x0000, b"UL", struct.pack("<L", len(group)),
                                          b"") + group
