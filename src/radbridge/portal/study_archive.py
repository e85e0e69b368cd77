"""A copy of a study to take away: a zip with the DICOM files as stored, a DICOMDIR that
indexes them (so any DICOM viewer or CD burner reads the set) and the report as PDF.

The DICOMDIR is made by pydicom's FileSet from the files' headers only (written to a
temporary folder, never the pixels), and the stored files go into the zip byte for byte at
the paths the DICOMDIR names. The zip is written as it is sent: one file is read at a
time, in chunks, so a study of any size takes the same little memory.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydicom import dcmread
from pydicom.errors import InvalidDicomError
from pydicom.fileset import FileSet
from pydicom.uid import UID

from radbridge.imaging.models import Instance
from radbridge.imaging.storage import dicom_storage

CHUNK = 1024 * 1024
UNCOMPRESSED = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}


@dataclass(frozen=True)
class Member:
    name: str  # path inside the zip
    chunks: Iterable[bytes]
    compress: bool = False


def stored_chunks(file_name: str) -> Iterator[bytes]:
    """A stored file's bytes, opened only when the zip reaches it."""
    with dicom_storage().open(file_name, "rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


# Keys a DICOMDIR record must have (PS3.3 F.5, Type 1) that modalities often leave empty
# (Type 2 in the images): the DICOMDIR gets a neutral value, the files stay as stored.
RECORD_DEFAULTS = {"PatientID": "UNKNOWN", "StudyDate": "19000101", "StudyTime": "000000",
                   "StudyID": "1", "Modality": "OT", "SeriesNumber": 1, "InstanceNumber": 1}


def indexable_header(file_name: str):
    with dicom_storage().open(file_name, "rb") as source:
        header = dcmread(source, stop_before_pixels=True)
    for keyword, value in RECORD_DEFAULTS.items():
        if header.get(keyword) in (None, ""):
            setattr(header, keyword, value)
    return header


def dicomdir_for(instances: list[Instance]) -> tuple[bytes | None, dict[int, str]]:
    """The DICOMDIR bytes and each instance's path in the set. An instance the DICOMDIR
    cannot index (a SOP class it has no record for, a header it cannot read) keeps a
    place in the zip under OTHER/, outside the set."""
    file_set = FileSet()
    by_uid: dict[str, Instance] = {}
    paths: dict[int, str] = {}
    for instance in instances:
        try:
            file_set.add(indexable_header(instance.file_name))
            by_uid[instance.sop_instance_uid] = instance
        except (InvalidDicomError, ValueError, KeyError, AttributeError, OSError):
            paths[instance.id] = f"OTHER/IM{len(paths) + 1:06d}"
    if not by_uid:
        return None, paths
    with tempfile.TemporaryDirectory(prefix="dicomdir-") as folder:
        file_set.write(folder)
        with open(os.path.join(folder, "DICOMDIR"), "rb") as written:
            dicomdir = written.read()
        for record in file_set:
            paths[by_uid[record.SOPInstanceUID].id] = "/".join(record.ReferencedFileID)
    return dicomdir, paths


def study_members(instances: list[Instance], report_pdf: bytes | None) -> list[Member]:
    dicomdir, paths = dicomdir_for(instances)
    members = []
    if dicomdir is not None:
        members.append(Member("DICOMDIR", [dicomdir]))
    for instance in instances:
        members.append(Member(paths[instance.id], stored_chunks(instance.file_name),
                              compress=UID(instance.transfer_syntax_uid) in UNCOMPRESSED))
    if report_pdf is not None:
        members.append(Member("REPORT.PDF", [report_pdf]))
    return members


class _Sink:
    """What zipfile writes to: kept until the response takes it (zipfile needs no seek)."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zip_stream(members: Iterable[Member]) -> Iterator[bytes]:
    """The zip of the members, produced piece by piece as it is read."""
    sink = _Sink()
    # Level 1: quick, and most of a study's size is pixels that deflate little further.
    with zipfile.ZipFile(sink, "w", allowZip64=True, compresslevel=1) as archive:
        for member in members:
            # Each member takes the archive's method at the time it is opened.
            archive.compression = zipfile.ZIP_DEFLATED if member.compress else zipfile.ZIP_STORED
            with archive.open(member.name, "w", force_zip64=True) as out:
                for chunk in member.chunks:
                    out.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    yield sink.take()
