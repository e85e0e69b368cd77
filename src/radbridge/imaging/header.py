"""Read and check the header of a received DICOM file without decoding its pixel data.

The check runs on every C-STORE and STOW upload, so it reads only up to the Pixel Data
element and then verifies, from its element header alone, that the pixel data the sender
announced is really there (a truncated file, or one that lies about its length, is refused
before anything is written) and that it is encoded as the transfer syntax says.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from . import header_scan

UID_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"
SEQUENCE_DELIMITER = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
UNDEFINED_LENGTH = 0xFFFFFFFF

# DIMSE status codes we answer with (PS3.4 Annex B.2.3).
STATUS_SUCCESS = 0x0000
STATUS_PROCESSING_FAILURE = 0x0110
STATUS_OUT_OF_RESOURCES = 0xA700
STATUS_SOP_CLASS_MISMATCH = 0xA900
STATUS_CANNOT_UNDERSTAND = 0xC000
STATUS_DATABASE_UNAVAILABLE = 0xC001


class StoreError(Exception):
    """The instance was refused; `status` is the DIMSE status, the message says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Header:
    values: Dataset | dict  # keyword -> value: a pydicom Dataset or the header scan's dict
    transfer_syntax_uid: str
    sop_class_uid: str
    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str

    def text(self, keyword: str, limit: int) -> str:
        value = self.values.get(keyword)
        if value is None:
            return ""
        if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
            value = "\\".join(str(v) for v in value)
        return str(value).strip()[:limit]

    def number(self, keyword: str) -> int | None:
        value = self.values.get(keyword)
        try:
            return int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            return None

    def date(self, keyword: str) -> date | None:
        raw = self.text(keyword, 8)
        try:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None
        except ValueError:
            return None


def valid_uid(value: str) -> bool:
    return 0 < len(value) <= 64 and UID_PATTERN.match(value) is not None


def read_header(data) -> Header:
    """Read the header up to Pixel Data (bytes or a memory map); raise StoreError on bad input.

    Well-formed Little Endian files are read by the fast scan; anything else by pydicom."""
    scanned = header_scan.scan(data)
    if scanned is None:
        values, syntax, position = read_with_pydicom(data)
    else:
        syntax, values, position = scanned
        syntax = UID(syntax)
    if not valid_uid(syntax):
        raise StoreError(STATUS_CANNOT_UNDERSTAND, "the file names no valid transfer syntax")
    header = Header(
        values=values,
        transfer_syntax_uid=str(syntax),
        sop_class_uid=str(values.get("SOPClassUID", "")),
        sop_instance_uid=str(values.get("SOPInstanceUID", "")),
        study_instance_uid=str(values.get("StudyInstanceUID", "")),
        series_instance_uid=str(values.get("SeriesInstanceUID", "")),
    )
    for name, value in (
        ("SOP Class UID (0008,0016)", header.sop_class_uid),
        ("SOP Instance UID (0008,0018)", header.sop_instance_uid),
        ("Study Instance UID (0020,000D)", header.study_instance_uid),
        ("Series Instance UID (0020,000E)", header.series_instance_uid),
    ):
        if not valid_uid(value):
            raise StoreError(
                STATUS_CANNOT_UNDERSTAND,
                f"{name} is missing or not a valid UID ({value[:70]!r}): fix the sender",
            )
    check_encoding(data, syntax)
    if not syntax.is_deflated:
        check_pixel_data(data, position, values, syntax)
    return header


def read_with_pydicom(data) -> tuple[Dataset, UID, int]:
    stream = BytesIO(data)
    try:
        dataset = dcmread(stream, stop_before_pixels=True)
        dataset.get("SOPInstanceUID")  # force the lazy elements a broken file fails on
    except (InvalidDicomError, EOFError, ValueError, KeyError, struct.error, TypeError) as error:
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"the dataset cannot be read ({type(error).__name__}: {str(error)[:200]}); "
            "check that the sender encodes it as the negotiated transfer syntax",
        ) from None
    meta = getattr(dataset, "file_meta", None)
    syntax = UID(str(meta.get("TransferSyntaxUID", ""))) if meta is not None else UID("")
    return dataset, syntax, stream.tell()


def check_encoding(data: bytes, syntax: UID) -> None:
    """Refuse a dataset whose first element is not encoded as its transfer syntax says."""
    if syntax.is_deflated or data[128:138] != b"DICM\x02\x00\x00\x00UL":
        return  # no File Meta group length to find the dataset by: pydicom's checks apply
    (meta_length,) = struct.unpack("<L", data[140:144])
    start = 144 + meta_length
    raw_vr = data[start + 4:start + 6]
    if len(raw_vr) < 2:
        return
    explicit = all(0x41 <= byte <= 0x5A for byte in raw_vr)
    if explicit == syntax.is_implicit_VR:
        found = "explicit" if explicit else "implicit"
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"the dataset is encoded as {found} VR but was sent as {syntax.name}: "
            "the sender must encode it as the transfer syntax it proposed",
        )


def check_pixel_data(data, position: int, values: Dataset | dict, syntax: UID) -> None:
    """Check the Pixel Data element at `position` against the bytes that really arrived."""
    if position >= len(data) or data[position:position + 4] != (
        PIXEL_DATA_TAG if syntax.is_little_endian else b"\x7f\xe0\x00\x10"
    ):
        return  # no pixel data (SR, presentation state...) or trailing elements only
    order = "<" if syntax.is_little_endian else ">"
    explicit = not syntax.is_implicit_VR
    header_size = 12 if explicit else 8
    if position + header_size > len(data):
        raise StoreError(STATUS_CANNOT_UNDERSTAND, "the file ends inside the Pixel Data header")
    offset = position + (8 if explicit else 4)
    (length,) = struct.unpack(order + "L", data[offset:offset + 4])
    start = position + header_size
    if length == UNDEFINED_LENGTH:
        if not syntax.is_encapsulated:
            raise StoreError(
                STATUS_CANNOT_UNDERSTAND,
                f"Pixel Data is encapsulated (compressed) but the transfer syntax "
                f"{syntax.name} is not: send it with the syntax it was compressed with",
            )
        if data.rfind(SEQUENCE_DELIMITER, start) < 0:
            raise StoreError(
                STATUS_CANNOT_UNDERSTAND,
                "file truncated: the compressed Pixel Data has no sequence delimiter",
            )
        return
    if syntax.is_encapsulated:
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"Pixel Data is not encapsulated but {syntax.name} is a compressed transfer "
            "syntax: send it as Explicit VR Little Endian or compress it",
        )
    available = len(data) - start
    if length > available:
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"file truncated or lying about its length: Pixel Data declares {length} bytes, "
            f"{available} arrived",
        )
    needed = expected_pixel_bytes(values)
    if needed is not None and length < needed:
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"image header and pixels disagree: Pixel Data holds {length} bytes, Rows x "
            f"Columns x Samples x Bits x Frames need {needed}",
        )


def expected_pixel_bytes(values: Dataset | dict) -> int | None:
    try:
        rows, columns = int(values.get("Rows")), int(values.get("Columns"))
        if values.get("PhotometricInterpretation") == "YBR_FULL_422":
            return (rows * columns * 2 * int(values.get("BitsAllocated")) + 7) // 8
        samples = int(values.get("SamplesPerPixel", 1) or 1)
        bits = int(values.get("BitsAllocated"))
        frames = int(values.get("NumberOfFrames", 1) or 1)
    except (AttributeError, TypeError, ValueError):
        return None
    return (rows * columns * samples * frames * bits + 7) // 8
