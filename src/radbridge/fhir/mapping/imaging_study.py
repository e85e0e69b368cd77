"""DICOM study → ImagingStudy, with its series, instances and a DICOMweb endpoint.

Written against a small protocol (`Study`, `Series`, `Instance` below) rather than the
imaging app's models, so the mapping is tested on plain values now and wired to the imaging
index when that app lands (its Study/Series/Instance rows only need these attributes). Not
served by the REST API yet: see the CapabilityStatement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ..identifiers import DICOM_UID_SYSTEM, accession_system, identifier
from .common import CODE_SYSTEMS, instant, meta, reference, resource

DICOM_SOP_CLASS_SYSTEM = "urn:ietf:rfc:3986"
ENDPOINT_ID = "dicomweb"


class Instance(Protocol):
    sop_instance_uid: str
    sop_class_uid: str
    instance_number: int | None


class Series(Protocol):
    series_instance_uid: str
    modality: str
    series_number: int | None
    description: str
    body_part: str
    instances: Sequence[Instance]


class Study(Protocol):
    study_instance_uid: str
    accession_number: str
    started_at: datetime | None
    description: str
    series: Sequence[Series]


def dicomweb_endpoint(address: str) -> dict:
    """A contained Endpoint: where a client fetches the study over DICOMweb (WADO-RS)."""
    return {
        "resourceType": "Endpoint",
        "id": ENDPOINT_ID,
        "status": "active",
        "connectionType": {
            "system": "http://terminology.hl7.org/CodeSystem/endpoint-connection-type",
            "code": "dicom-wado-rs",
        },
        "payloadType": [{"text": "DICOM"}],
        "payloadMimeType": ["application/dicom"],
        "address": address,
    }


def dicom_code(code: str) -> dict:
    return {"system": CODE_SYSTEMS["DCM"], "code": code}


def series_element(series: Series) -> dict:
    element = {
        "uid": series.series_instance_uid,
        "number": series.series_number,
        "modality": dicom_code(series.modality or "OT"),
        "description": series.description or None,
        "numberOfInstances": len(series.instances),
        "bodySite": {"display": series.body_part} if series.body_part else None,
        "instance": [
            {
                "uid": instance.sop_instance_uid,
                "sopClass": {
                    "system": DICOM_SOP_CLASS_SYSTEM,
                    "code": f"urn:oid:{instance.sop_class_uid}",
                },
                "number": instance.instance_number,
            }
            for instance in series.instances
        ],
    }
    for item in element["instance"]:
        if item["number"] is None:
            del item["number"]
    return {key: value for key, value in element.items() if value not in (None, [], "")}


def imaging_study(
    study: Study,
    *,
    subject: str,
    dicomweb_address: str,
    resource_id: object = None,
    last_updated=None,
    based_on: str | None = None,
    status: str = "available",
) -> dict:
    modalities = sorted({s.modality for s in study.series if s.modality})
    identifiers = [identifier(f"urn:oid:{study.study_instance_uid}", DICOM_UID_SYSTEM)]
    if study.accession_number:
        identifiers.append(identifier(study.accession_number, accession_system(), "ACSN"))
    return resource(
        "ImagingStudy",
        resource_id,
        meta=meta(last_updated),
        contained=[dicomweb_endpoint(dicomweb_address)],
        identifier=identifiers,
        status=status,
        modality=[dicom_code(m) for m in modalities],
        subject=reference(subject),
        started=instant(study.started_at),
        basedOn=[reference(based_on)] if based_on else None,
        endpoint=[reference(f"#{ENDPOINT_ID}")],
        numberOfSeries=len(study.series),
        numberOfInstances=sum(len(s.instances) for s in study.series),
        description=study.description or None,
        series=[series_element(s) for s in study.series],
    )
