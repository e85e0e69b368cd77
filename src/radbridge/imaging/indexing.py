"""Store one received instance: check it, write it durably, index it, in that order.

Both entry points (the DICOM SCP and STOW-RS) call `store_instance()`. The file is on disk
(fsynced) before its index row commits, and the row commits before the sender hears
"success": nothing indexed is missing from disk, and a failure after the write removes the
file again. An instance we already hold (same SOP Instance UID) is kept once and answered
as a success, so a sender may retry freely.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from radbridge.core import audit

from . import index_sql
from .choices import RenderState
from .header import (
    STATUS_CANNOT_UNDERSTAND,
    STATUS_DATABASE_UNAVAILABLE,
    STATUS_OUT_OF_RESOURCES,
    STATUS_SOP_CLASS_MISMATCH,
    Header,
    StoreError,
    read_header,
)
from .matching import match_study
from .models import Instance, Series, Study
from .storage import dicom_storage, instance_file_name

log = logging.getLogger(__name__)
# SQLite has one writer at a time. Associations queue on this lock, which hands over at once,
# instead of in SQLite's busy handler, which sleeps 1, 2, 5, 10... ms between tries.
SQLITE_WRITER = threading.Lock()


def index_lock():
    return SQLITE_WRITER if connection.vendor == "sqlite" else contextlib.nullcontext()


@dataclass(frozen=True)
class Stored:
    instance_id: int
    study_instance_uid: str
    series_instance_uid: str
    sop_class_uid: str
    sop_instance_uid: str
    duplicate: bool


def store_instance(
    data: bytes, received_from: str, sop_class_uid: str = "", sop_instance_uid: str = ""
) -> Stored:
    """Check, write and index one Part 10 file; raise StoreError with a DIMSE status."""
    header = check_instance(data, sop_class_uid, sop_instance_uid)
    known = already_stored(header)
    if known is not None:
        return known
    storage = dicom_storage()
    name = instance_file_name(header.study_instance_uid, header.sop_instance_uid)
    try:
        storage.save(name, ContentFile(data))
    except OSError as error:
        raise out_of_resources(error) from None
    # The file is on disk; only now the (short) index transaction: nothing indexed is ever
    # missing from disk, and the database's write lock is never held across an fsync.
    try:
        with index_lock(), transaction.atomic():
            entries = []
            instance_id = index_instance(header, name, len(data), received_from, entries)
            audit.record_all(entries)
    except IntegrityError:
        # Another association stored the same instance a moment ago: one copy, success.
        known = already_stored(header)
        if known is None:
            raise
        return known
    except DatabaseError as error:
        storage.delete(name)  # nothing on disk that the index does not know
        raise database_unavailable(error) from None
    return stored(instance_id, header, duplicate=False)


def check_instance(data, sop_class_uid: str = "", sop_instance_uid: str = "") -> Header:
    """The header of a Part 10 file (bytes or a memory map) that agrees with its request."""
    header = read_header(data)
    if sop_class_uid and sop_class_uid != header.sop_class_uid:
        raise StoreError(
            STATUS_SOP_CLASS_MISMATCH,
            f"the dataset's SOP Class UID {header.sop_class_uid} differs from the "
            f"{sop_class_uid} of the request",
        )
    if sop_instance_uid and sop_instance_uid != header.sop_instance_uid:
        raise StoreError(
            STATUS_CANNOT_UNDERSTAND,
            f"the dataset's SOP Instance UID {header.sop_instance_uid} differs from the "
            f"{sop_instance_uid} of the request",
        )
    return header


def already_stored(header: Header) -> Stored | None:
    """The instance as indexed when we hold it already (a sender may resend freely)."""
    try:
        known = index_sql.known_instance_id(header.sop_instance_uid)
    except DatabaseError as error:
        raise database_unavailable(error) from None
    return None if known is None else stored(known, header, duplicate=True)


def out_of_resources(error: OSError) -> StoreError:
    return StoreError(
        STATUS_OUT_OF_RESOURCES,
        f"the file could not be written ({errno.errorcode.get(error.errno, error.errno)}: "
        f"{error.strerror}): free space in the DICOM storage and send again",
    )


def stored(instance_id: int, header: Header, duplicate: bool) -> Stored:
    return Stored(
        instance_id=instance_id,
        study_instance_uid=header.study_instance_uid,
        series_instance_uid=header.series_instance_uid,
        sop_class_uid=header.sop_class_uid,
        sop_instance_uid=header.sop_instance_uid,
        duplicate=duplicate,
    )


def database_unavailable(error: Exception) -> StoreError:
    log.error("DICOM instance refused, database unavailable: %s", error)
    return StoreError(
        STATUS_DATABASE_UNAVAILABLE,
        "the index database is unavailable; nothing was stored: send again later",
    )


def index_instance(header: Header, file_name: str, file_size: int, received_from: str,
                   audit_entries: list) -> int:
    """Add the instance's row (and study and series on first sight); returns its id.

    Runs inside the caller's transaction; raises IntegrityError when the SOP Instance UID
    is known. Its audit entry is added to `audit_entries`, which the caller saves with
    `audit.record_all` in the same transaction (one INSERT for many instances).
    """
    now = timezone.now()
    known = index_sql.place(header.study_instance_uid, header.series_instance_uid)
    if known is not None:
        study_id, patient_id, series_id = known
    else:
        study, series_id = first_sight(header)
        study_id, patient_id = study.id, study.patient_id
    instance_id = index_sql.insert_instance(Instance(
        study_id=study_id,
        series_id=series_id,
        sop_instance_uid=header.sop_instance_uid,
        sop_class_uid=header.sop_class_uid,
        transfer_syntax_uid=header.transfer_syntax_uid,
        instance_number=header.number("InstanceNumber"),
        rows=header.number("Rows"),
        columns=header.number("Columns"),
        number_of_frames=header.number("NumberOfFrames") or 1,
        photometric_interpretation=header.text("PhotometricInterpretation", 20),
        file_name=file_name,
        file_size=file_size,
        received_from=received_from[:100],
        received_at=now,
        render_state=RenderState.PENDING,
    ))
    index_sql.touch_study(study_id, now)
    audit_entries.append(audit.pending(
        "imaging.instance.stored", "instance", instance_id, patient_id=patient_id,
        sop_instance_uid=header.sop_instance_uid, received_from=received_from[:100],
    ))
    return instance_id


def first_sight(header: Header) -> tuple[Study, int]:
    """The study and series rows of an instance whose series is new (and maybe its study):
    created, with a new study matched to its order and a new modality noted."""
    study, study_created = Study.objects.get_or_create(
        study_instance_uid=header.study_instance_uid, defaults=study_fields(header)
    )
    series, series_created = Series.objects.get_or_create(
        series_instance_uid=header.series_instance_uid,
        defaults={
            "study": study,
            "modality": header.text("Modality", 16),
            "series_number": header.number("SeriesNumber"),
            "series_description": header.text("SeriesDescription", 200),
            "body_part_examined": header.text("BodyPartExamined", 64),
        },
    )
    if series_created and series.modality and series.modality not in study.modality_list:
        study.modalities = ",".join([*study.modality_list, series.modality])[:100]
        Study.objects.filter(pk=study.pk).update(modalities=study.modalities)
    if study_created:
        match_study(study)
        audit.record(
            "imaging.study.received", "study", study.id, patient_id=study.patient_id,
            study_instance_uid=study.study_instance_uid, reconciliation=study.reconciliation,
        )
    return study, series.id


def study_fields(header: Header) -> dict:
    modality = header.text("Modality", 16)
    return {
        "patient_identifier": header.text("PatientID", 64),
        "issuer_of_patient_identifier": header.text("IssuerOfPatientID", 64),
        "patient_name": header.text("PatientName", 200),
        "patient_birth_date": header.text("PatientBirthDate", 8),
        "patient_sex": header.text("PatientSex", 16),
        "accession_number": header.text("AccessionNumber", 64),
        "study_date": header.date("StudyDate"),
        "study_time": header.text("StudyTime", 16),
        "study_description": header.text("StudyDescription", 200),
        "study_id": header.text("StudyID", 16),
        "referring_physician_name": header.text("ReferringPhysicianName", 200),
        "modalities": modality,
        "expected_instance_count": header.number("NumberOfStudyRelatedInstances"),
    }
