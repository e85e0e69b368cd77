"""A fast read of the few header values the index needs, for well-formed Little Endian files.

pydicom builds a full Dataset of every element (about 0.5 ms for a CT header); the index
needs some thirty values. This walks the element headers with struct, keeps the values it
wants, skips the others (sequences included) and stops at Pixel Data. Anything it is not
sure about (big endian, deflate, a character set other than ASCII, Latin-1 or UTF-8, tags out
of order, a length that does not fit, an encoding other than the transfer syntax says)
makes it answer None, and the caller reads the file with pydicom, whose errors then
explain what is wrong. No Django here.
"""

from __future__ import annotations

import struct

IMPLICIT_LE = "1.2.840.10008.1.2"
NOT_SCANNED = {"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}  # big endian, deflated
LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR",
            b"UT", b"UV"}
UNDEFINED = 0xFFFFFFFF
PIXEL_DATA = 0x7FE00010
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
DEEPEST = 8
CHARSETS = {"": "latin-1", "ISO_IR 6": "latin-1", "ISO_IR 100": "latin-1",
            "ISO_IR 192": "utf-8"}
TAG_LENGTH = struct.Struct("<HHL")
EXPLICIT = struct.Struct("<HH2sH")

# The values kept: tag -> keyword. US values are numbers, the others text.
WANTED = {
    0x00080005: "SpecificCharacterSet", 0x00080016: "SOPClassUID",
    0x00080018: "SOPInstanceUID", 0x00080020: "StudyDate", 0x00080030: "StudyTime",
    0x00080050: "AccessionNumber", 0x00080060: "Modality",
    0x00080090: "ReferringPhysicianName", 0x00081030: "StudyDescription",
    0x0008103E: "SeriesDescription", 0x00180015: "BodyPartExamined",
    0x00100010: "PatientName", 0x00100020: "PatientID", 0x00100021: "IssuerOfPatientID",
    0x00100030: "PatientBirthDate", 0x00100040: "PatientSex",
    0x0020000D: "StudyInstanceUID", 0x0020000E: "SeriesInstanceUID", 0x00200010: "StudyID",
    0x00200011: "SeriesNumber", 0x00200013: "InstanceNumber",
    0x00201208: "NumberOfStudyRelatedInstances", 0x00280002: "SamplesPerPixel",
    0x00280004: "PhotometricInterpretation", 0x00280008: "NumberOfFrames",
    0x00280010: "Rows", 0x00280011: "Columns", 0x00280100: "BitsAllocated",
}
UNSIGNED_SHORT = {0x00280002, 0x00280010, 0x00280011, 0x00280100}


class Unsure(Exception):
    """The scan cannot vouch for this file: read it with pydicom."""


def scan(data) -> tuple[str, dict[str, object], int] | None:
    """(transfer syntax, wanted values by keyword, position of Pixel Data or of the end)."""
    try:
        syntax, position = scan_meta(data)
        explicit = syntax != IMPLICIT_LE
        raw_vr = data[position + 4:position + 6]
        if len(raw_vr) == 2 and all(0x41 <= b <= 0x5A for b in raw_vr) != explicit:
            return None  # encoded otherwise than announced: pydicom's checks explain it
        raw: dict[int, bytes] = {}
        position = walk(data, position, len(data), explicit, raw, 0)
        return syntax, decode(raw), position
    except (Unsure, struct.error, UnicodeDecodeError, ValueError):
        return None


def scan_meta(data) -> tuple[str, int]:
    if len(data) < 144 or data[128:132] != b"DICM":
        raise Unsure
    position, syntax = 132, ""
    while position + 8 <= len(data) and data[position:position + 2] == b"\x02\x00":
        group, element, vr, length = EXPLICIT.unpack_from(data, position)
        position += 8
        if vr in LONG_VRS:
            (length,) = struct.unpack_from("<L", data, position)
            position += 4
        if position + length > len(data):
            raise Unsure
        if element == 0x0010:
            syntax = bytes(data[position:position + length]).rstrip(b"\0 ").decode("ascii")
        position += length
    if not syntax or syntax in NOT_SCANNED:
        raise Unsure
    return syntax, position


def walk(data, position: int, end: int, explicit: bool, raw: dict | None, depth: int) -> int:
    """Walk elements from `position`; returns where Pixel Data starts (top level), the
    position after the item's delimiter (inside an item), or the end."""
    last = -1
    while position < end:
        if end - position < 8:
            raise Unsure
        if explicit:
            group, element, vr, length = EXPLICIT.unpack_from(data, position)
            header = 8
            if vr in LONG_VRS:
                (length,) = struct.unpack_from("<L", data, position + 8)
                header = 12
        else:
            group, element, length = TAG_LENGTH.unpack_from(data, position)
            vr, header = b"", 8
        tag = group << 16 | element
        if tag == ITEM_END and depth:
            return position + 8
        if tag <= last or group == 0xFFFE:
            raise Unsure
        last = tag
        if tag == PIXEL_DATA and not depth:
            return position
        position += header
        if length == UNDEFINED:
            if vr not in (b"SQ", b"UN", b""):
                raise Unsure
            position = skip_sequence(data, position, end, explicit, depth + 1)
            continue
        if position + length > end:
            raise Unsure
        if raw is not None and tag in WANTED:
            raw[tag] = bytes(data[position:position + length])
        position += length
    if depth:
        raise Unsure  # an item of undefined length must end with its delimiter
    return position


def skip_sequence(data, position: int, end: int, explicit: bool, depth: int) -> int:
    if depth > DEEPEST:
        raise Unsure
    while position + 8 <= end:
        group, element, length = TAG_LENGTH.unpack_from(data, position)
        tag = group << 16 | element
        position += 8
        if tag == SEQUENCE_END:
            return position
        if tag != ITEM:
            raise Unsure
        if length == UNDEFINED:
            position = walk(data, position, end, explicit, None, depth)
        elif position + length > end:
            raise Unsure
        else:
            position += length
    raise Unsure


def decode(raw: dict[int, bytes]) -> dict[str, object]:
    charset = raw.get(0x00080005, b"").decode("ascii").strip(" \0")
    if charset not in CHARSETS:
        raise Unsure
    encoding = CHARSETS[charset]
    values: dict[str, object] = {}
    for tag, value in raw.items():
        if tag in UNSIGNED_SHORT:
            if len(value) != 2:
                raise Unsure
            values[WANTED[tag]] = struct.unpack("<H", value)[0]
        else:
            values[WANTED[tag]] = value.decode(encoding).strip(" \0")
    return values
