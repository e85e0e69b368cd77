"""Synthetic images for the demo centre's orders, as the modalities would send them.

Each order gets a small study (a few CT slices, one radiograph, ...) carrying its accession
number and patient ID, so matching works as it does for real; two carry typing mistakes (one
still matched by patient, date and modality, one left for reconciliation). The files are
sent through the real C-STORE port by `radbridge demo`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom.sop_class import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalMammographyXRayImageStorageForPresentation,
    MRImageStorage,
    UltrasoundImageStorage,
)

from radbridge.clinical.models import Order

# modality -> (SOP class, images per study)
KINDS = {
    "CT": (CTImageStorage, 3),
    "MR": (MRImageStorage, 2),
    "CR": (ComputedRadiographyImageStorage, 1),
    "US": (UltrasoundImageStorage, 1),
    "MG": (DigitalMammographyXRayImageStorageForPresentation, 1),
}
SIZE = 128


def phantom(slice_number: int, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[-1:1:SIZE * 1j, -1:1:SIZE * 1j]
    body = (x / 0.85) ** 2 + (y / 0.65) ** 2 < 1
    organ = ((x - 0.3) / 0.2) ** 2 + ((y + 0.1 * slice_number) / 0.25) ** 2 < 1
    image = np.where(body, 1040, 24) + np.where(organ, 300, 0) + rng.normal(0, 15, body.shape)
    return np.clip(image, 0, 4095).astype(np.uint16)


def instance(order: Order, patient_id: str, accession: str, study_uid: str, series_uid: str,
             number: int, rng: np.random.Generator) -> FileDataset:
    sop_class, _ = KINDS.get(order.modality, KINDS["CT"])
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: names such as Łukasik or Ó Súilleabháin
    ds.PatientID, ds.IssuerOfPatientID = patient_id, "DEMO"
    ds.PatientName = f"{order.patient.family_name}^{order.patient.given_name}"
    ds.AccessionNumber = accession
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
    when = order.scheduled_at.date() if order.scheduled_at else date.today()
    ds.StudyDate = ds.SeriesDate = when.strftime("%Y%m%d")
    ds.StudyTime = "090000"
    ds.StudyDescription = order.procedure_text
    ds.Modality = order.modality or "CT"
    ds.SeriesNumber, ds.InstanceNumber = 1, number
    ds.Rows = ds.Columns = SIZE
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.PixelData = phantom(number, rng).tobytes()
    return ds


def write_demo_studies(folder: Path, seed: int = 7) -> int:
    """Write one study per demo order into `folder`; returns the number of files."""
    rng = np.random.default_rng(seed)
    count = 0
    orders = Order.objects.filter(accession_number__startswith="DEMO").select_related("patient")
    for position, order in enumerate(orders.order_by("accession_number")):
        identifier = order.patient.identifiers.first()
        patient_id = identifier.value if identifier else ""
        # Two studies arrive with a mistyped accession: the first still matches by patient,
        # date and modality; the second also has a mistyped patient ID and waits for a
        # person in reconciliation.
        accession = order.accession_number + ("X" if position in (1, 2) else "")
        if position == 2:
            patient_id += "9"
        study_uid, series_uid = generate_uid(), generate_uid()
        _, images = KINDS.get(order.modality, KINDS["CT"])
        for number in range(1, images + 1):
            dataset = instance(order, patient_id, accession, study_uid, series_uid, number, rng)
            dataset.save_as(folder / f"{order.accession_number}-{number}.dcm",
                            enforce_file_format=True)
            count += 1
    return count
