"""Mappings checked on plain values: ImagingStudy (not served yet, wired after the imaging
merge), the directory resources, and SMART scope matching."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from radbridge.clinical.models import Location, Organization, Practitioner
from radbridge.fhir.mapping.imaging_study import imaging_study
from tests.fhir.conftest import validate


@dataclass
class Instance:
    sop_instance_uid: str
    sop_class_uid: str = "1.2.840.10008.5.1.4.1.1.2"
    instance_number: int | None = 1


@dataclass
class Series:
    series_instance_uid: str
    modality: str
    series_number: int | None = 1
    description: str = ""
    body_part: str = ""
    instances: list = field(default_factory=list)


@dataclass
class Study:
    study_instance_uid: str
    accession_number: str
    started_at: datetime | None
    description: str
    series: list


def test_imaging_study_maps_series_instances_and_the_dicomweb_endpoint():
    study = Study(
        "1.2.3",
        "ACC1",
        datetime(2026, 1, 14, 9, 30, tzinfo=UTC),
        "CT chest",
        [
            Series(
                "1.2.3.1",
                "CT",
                1,
                "axial",
                "CHEST",
                [Instance("1.2.3.1.1"), Instance("1.2.3.1.2", instance_number=None)],
            ),
            Series(
                "1.2.3.2",
                "SR",
                2,
                instances=[Instance("1.2.3.2.1", "1.2.840.10008.5.1.4.1.1.88.11")],
            ),
        ],
    )
    resource = validate(
        imaging_study(
            study,
            subject="Patient/7",
            dicomweb_address="https://rb.example/dicomweb",
            resource_id=5,
            based_on="ServiceRequest/9",
        )
    )
    assert resource["identifier"][0] == {"system": "urn:dicom:uid", "value": "urn:oid:1.2.3"}
    assert resource["identifier"][1]["value"] == "ACC1"
    assert (resource["numberOfSeries"], resource["numberOfInstances"]) == (2, 3)
    assert [m["code"] for m in resource["modality"]] == ["CT", "SR"]
    assert resource["endpoint"] == [{"reference": "#dicomweb"}]
    endpoint = resource["contained"][0]
    assert endpoint["address"] == "https://rb.example/dicomweb"
    assert endpoint["connectionType"]["code"] == "dicom-wado-rs"
    first = resource["series"][0]
    assert first["bodySite"] == {"display": "CHEST"}
    assert "number" not in first["instance"][1]
    assert first["instance"][0]["sopClass"]["code"] == "urn:oid:1.2.840.10008.5.1.4.1.1.2"


@pytest.mark.django_db
def test_directory_resources_read_and_validate(staff_api):
    organization = Organization.objects.create(
        name="Mercy Imaging", kind="site", identifier="MERCY"
    )
    location = Location.objects.create(code="CT1", name="CT room 1", organization=organization)
    doctor = Practitioner.objects.create(
        identifier="123",
        assigning_authority="NPI",
        family_name="Wong",
        given_name="Lisa",
        prefix="Dr",
    )
    unnamed = Practitioner.objects.create(identifier="name:wong^lisa", family_name="Wong")
    for path in (
        f"Organization/{organization.pk}",
        f"Location/{location.pk}",
        f"Practitioner/{doctor.pk}",
    ):
        status, body, _ = staff_api.get(path)
        assert status == 200
        validate(body)
    _, body, _ = staff_api.get(f"Practitioner/{doctor.pk}")
    assert body["identifier"] == [{"system": "urn:radbridge:authority:NPI", "value": "123"}]
    assert body["name"] == [{"family": "Wong", "given": ["Lisa"], "prefix": ["Dr"]}]
    assert "identifier" not in staff_api.get(f"Practitioner/{unnamed.pk}")[1]
    _, body, _ = staff_api.get("Location", {"organization": f"Organization/{organization.pk}"})
    assert (
        body["entry"][0]["resource"]["managingOrganization"]["reference"]
        == f"Organization/{organization.pk}"
    )
