"""Small persona helpers: orders placed through clinical services, instances stored as sent."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
from django.utils import timezone
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from radbridge.clinical.data import IdentifierData, OrderData, PatientData
from radbridge.clinical.services import place_order
from radbridge.imaging.indexing import store_instance


def order_for(accession: str, mrn: str, modality: str = "CT", scheduled: datetime | None = None,
              family: str = "Doe"):
    return place_order(OrderData(
        accession_number=accession,
        patient=PatientData(identifiers=[IdentifierData(mrn, "DEMO", "MR")], family_name=family),
        procedure_code="CTCHEST", procedure_text="CT chest", modality=modality,
        scheduled_at=scheduled or timezone.now(),
    ))


def ct_bytes(study_uid: str, accession: str = "", patient_id: str = "", modality: str = "CT",
             study_date: str = "", instance_number: int = 1, series_uid: str = "",
             **extra) -> bytes:
    """A small synthetic CT instance, as a modality would send it (Part 10 bytes)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid or study_uid + ".1"
    ds.PatientID, ds.PatientName, ds.AccessionNumber = patient_id, "Doe^Jane", accession
    ds.Modality, ds.StudyDate = modality, study_date or timezone.localdate().strftime("%Y%m%d")
    ds.SeriesNumber, ds.InstanceNumber = 1, instance_number
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = (np.arange(256, dtype=np.uint16) * 16).tobytes()
    for keyword, value in extra.items():
        setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def receive(study_uid: str, **attributes):
    return store_instance(ct_bytes(study_uid, **attributes), received_from="dicom:TEST")
