"""ImagingStudy: the imaging app's index (studies received over DICOM, matched to their
orders) read, searched and included through FHIR, validated with the R4B models, every read
audited as a PHI read of its patient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from radbridge.clinical.models import Order, Patient, Report
from radbridge.core.models import AuditEntry
from radbridge.imaging.availability import announce_available
from radbridge.imaging.models import Study
from tests.fhir.conftest import ingest, validate
from tests.hl7.helpers import orm, oru
from tests.imaging.helpers import receive

pytestmark = pytest.mark.django_db
CT_UID, MR_UID, OTHER_UID = "1.2.826.0.1.3680043.10.7.1", "1.2.826.0.1.3680043.10.7.2", (
    "1.2.826.0.1.3680043.10.7.3")


@pytest.fixture
def studies():
    """MRN100: a CT study (two CT images, one SR) of ACC1 on 14 Jan 2025, complete, reported;
    an MR study of ACC2 on 20 Jan 2025, still arriving. MRN200: a CT study of ACC3."""
    ingest(orm("O1", "ACC1"), orm("O2", "ACC2"), orm("O3", "ACC3", mrn="MRN200"))
    for number in (1, 2):
        receive(CT_UID, accession="ACC1", patient_id="MRN100", instance_number=number,
                study_date="20250114", StudyTime="093000", StudyDescription="CT chest",
                BodyPartExamined="CHEST")
    receive(CT_UID, accession="ACC1", patient_id="MRN100", modality="SR", study_date="20250114",
            series_uid=CT_UID + ".2", SeriesNumber=2)
    receive(MR_UID, accession="ACC2", patient_id="MRN100", modality="MR", study_date="20250120")
    receive(OTHER_UID, accession="ACC3", patient_id="MRN200", study_date="20250114")
    announce_available(Study.objects.get(study_instance_uid=CT_UID).pk,
                       datetime.now(UTC) + timedelta(hours=1))
    ingest(oru("R1", "ACC1", ["IMPRESSION: normal."]))
    return {uid: Study.objects.get(study_instance_uid=uid) for uid in (CT_UID, MR_UID, OTHER_UID)}


def ids(bundle, mode="match"):
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_read_maps_the_study_its_series_instances_and_dicomweb_endpoint(staff_api, studies):
    study = studies[CT_UID]
    status, body, _ = staff_api.get(f"ImagingStudy/{study.pk}")
    assert status == 200
    validate(body)
    order = Order.objects.get(accession_number="ACC1")
    assert body["identifier"] == [
        {"system": "urn:dicom:uid", "value": f"urn:oid:{CT_UID}"},
        {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                              "code": "ACSN"}]},
         "system": "urn:radbridge:accession", "value": "ACC1"},
    ]
    assert body["status"] == "available"
    assert body["subject"] == {"reference": f"Patient/{order.patient_id}"}
    assert body["basedOn"] == [{"reference": f"ServiceRequest/{order.pk}"}]
    assert body["started"] == "2025-01-14T09:30:00+00:00"
    assert [m["code"] for m in body["modality"]] == ["CT", "SR"]
    assert (body["numberOfSeries"], body["numberOfInstances"]) == (2, 3)
    assert body["description"] == "CT chest"
    ct = body["series"][0]
    assert (ct["modality"]["code"], ct["numberOfInstances"], ct["bodySite"]) == (
        "CT", 2, {"display": "CHEST"})
    assert [i["number"] for i in ct["instance"]] == [1, 2]
    assert body["endpoint"] == [{"reference": "#dicomweb"}]
    assert body["contained"][0]["address"] == "http://localhost:8000/dicomweb"


def test_a_study_still_arriving_is_registered(staff_api, studies):
    body = staff_api.get(f"ImagingStudy/{studies[MR_UID].pk}")[1]
    assert validate(body)["status"] == "registered"


def test_the_dicomweb_endpoint_follows_the_configured_fhir_base(staff_api, studies, settings):
    settings.FHIR_BASE_URL = "https://rb.example/fhir"
    body = staff_api.get(f"ImagingStudy/{studies[CT_UID].pk}")[1]
    assert body["contained"][0]["address"] == "https://rb.example/dicomweb"


def test_an_unmatched_study_is_served_to_no_one(staff_api, studies):
    receive("1.2.826.0.1.3680043.10.7.9", accession="NOBODY")
    unmatched = Study.objects.get(accession_number="NOBODY")
    assert staff_api.get(f"ImagingStudy/{unmatched.pk}")[0] == 404
    assert str(unmatched.pk) not in ids(staff_api.get("ImagingStudy")[1])


@pytest.mark.parametrize(("params", "expected"), [
    ({"patient": "Patient/{p1}"}, {CT_UID, MR_UID}),
    ({"subject": "{p2}"}, {OTHER_UID}),
    ({"identifier": f"urn:dicom:uid|urn:oid:{CT_UID}"}, {CT_UID}),
    ({"identifier": MR_UID}, {MR_UID}),
    ({"identifier": "urn:radbridge:accession|ACC3"}, {OTHER_UID}),
    ({"identifier": "ACC2"}, {MR_UID}),
    ({"identifier": f"urn:radbridge:accession|urn:oid:{CT_UID}"}, set()),
    ({"identifier": "urn:other|ACC1"}, set()),
    ({"started": "2025-01-14"}, {CT_UID, OTHER_UID}),
    ({"started": "ge2025-01-15"}, {MR_UID}),
    ({"started": "lt2025-01-20"}, {CT_UID, OTHER_UID}),
    ({"started": "2025-01"}, {CT_UID, MR_UID, OTHER_UID}),
    ({"modality": "SR"}, {CT_UID}),
    ({"modality": "http://dicom.nema.org/resources/ontology/DCM|MR"}, {MR_UID}),
    ({"modality": "CT,MR", "patient": "{p1}"}, {CT_UID, MR_UID}),
    ({"modality": "urn:other|CT"}, set()),
    ({"basedon": "ServiceRequest/{o3}"}, {OTHER_UID}),
    ({"_id": "{s2}"}, {MR_UID}),
])
def test_search_parameters(staff_api, studies, params, expected):
    patients = {f"p{n}": Patient.objects.get(identifiers__value=f"MRN{n}00").pk for n in (1, 2)}
    refs = {**patients, "o3": Order.objects.get(accession_number="ACC3").pk,
            "s2": studies[MR_UID].pk}
    query = {name: value.format(**refs) for name, value in params.items()}
    status, bundle, _ = staff_api.get("ImagingStudy", query)
    assert status == 200, bundle
    validate(bundle)
    by_id = {str(study.pk): uid for uid, study in studies.items()}
    assert {by_id[found] for found in ids(bundle)} == expected


def test_last_updated_count_and_paging(staff_api, studies):
    today = datetime.now(UTC).date().isoformat()
    _, bundle, _ = staff_api.get("ImagingStudy", {"_lastUpdated": f"ge{today}", "_count": 2,
                                                  "_sort": "started"})
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert len(ids(bundle)) == 2 and "next" in links
    page = staff_api.client.get(links["next"].split("testserver", 1)[1]).json()
    assert len(ids(validate(page))) == 1
    everything = ids(bundle) + ids(page)
    assert sorted(everything) == sorted(str(s.pk) for s in studies.values())
    assert staff_api.get("ImagingStudy", {"_lastUpdated": "lt2000-01-01"})[1]["total"] == 0


@pytest.mark.parametrize(("params", "named"), [
    ({"started": "yesterday"}, "started"),
    ({"basedon": "Patient/1"}, "basedon"),
    ({"modality:exact": "CT"}, "modality:exact"),
    ({"_include": "ImagingStudy:endpoint"}, "_include"),
])
def test_malformed_searches_get_400_naming_the_parameter(staff_api, studies, params, named):
    status, outcome, _ = staff_api.get("ImagingStudy", params)
    assert status == 400 and validate(outcome)["issue"][0]["expression"] == [named]


def test_include_the_patient_and_the_order(staff_api, studies):
    _, bundle, _ = staff_api.get("ImagingStudy", {
        "identifier": CT_UID, "_include": ["ImagingStudy:subject", "ImagingStudy:basedon"]})
    validate(bundle)
    included = sorted(e["resource"]["resourceType"] for e in bundle["entry"]
                      if e["search"]["mode"] == "include")
    assert included == ["Patient", "ServiceRequest"]


def test_diagnostic_report_refers_to_its_study_and_includes_it(staff_api, studies):
    report = Report.objects.get()
    _, body, _ = staff_api.get(f"DiagnosticReport/{report.pk}")
    assert validate(body)["imagingStudy"] == [{"reference": f"ImagingStudy/{studies[CT_UID].pk}"}]
    _, bundle, _ = staff_api.get("DiagnosticReport", {
        "_id": report.pk, "_include": "DiagnosticReport:imaging-study"})
    validate(bundle)
    assert ids(bundle, "include") == [str(studies[CT_UID].pk)]
    assert bundle["entry"][1]["resource"]["resourceType"] == "ImagingStudy"


def test_a_report_before_its_images_names_the_study_by_uid_when_the_ris_sent_one(staff_api):
    ingest(orm("O9", "ACC9"), oru("R9", "ACC9", ["no images yet"]))
    report = Report.objects.get()
    report.order.study_instance_uid = "1.2.3.4"
    report.order.save()
    _, body, _ = staff_api.get(f"DiagnosticReport/{report.pk}")
    assert validate(body)["imagingStudy"] == [{
        "type": "ImagingStudy",
        "identifier": {"system": "urn:dicom:uid", "value": "urn:oid:1.2.3.4"}}]


def test_reads_and_searches_are_audited_once_per_patient(staff_api, studies):
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    study = studies[CT_UID]
    staff_api.get(f"ImagingStudy/{study.pk}")
    entry = AuditEntry.objects.get(pk__gt=last)
    assert (entry.action, entry.object_type, entry.object_id, entry.patient_id) == (
        "read.fhir.read", "ImagingStudy", str(study.pk), study.patient_id)
    staff_api.get("ImagingStudy")
    searches = AuditEntry.objects.filter(pk__gt=entry.pk)
    assert {e.action for e in searches} == {"read.fhir.search"}
    assert sorted(e.patient_id for e in searches) == sorted(
        {s.patient_id for s in studies.values()})


def test_search_query_count_does_not_grow_with_results(staff_api, studies,
                                                        django_assert_max_num_queries):
    # session, user, second-factor device, profile; studies, series, instances; one audit
    # INSERT per patient (2); the session's activity stamp (3)
    with django_assert_max_num_queries(12):
        assert len(ids(staff_api.get("ImagingStudy")[1])) == 3
    for number in range(4):
        receive(f"1.2.826.0.1.3680043.10.8.{number}", accession="ACC3", patient_id="MRN200")
    with django_assert_max_num_queries(12):
        assert len(ids(staff_api.get("ImagingStudy")[1])) == 7


def test_capability_statement_lists_imaging_study_truthfully(client, studies):
    body = validate(client.get("/fhir/metadata").json())
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    params = {p["name"]: p for p in served["ImagingStudy"]["searchParam"]}
    assert set(params) == {"_id", "_lastUpdated", "identifier", "patient", "subject", "started",
                           "modality", "basedon"}
    assert "by day" in params["started"]["documentation"]
    assert set(served["ImagingStudy"]["searchInclude"]) == {
        "ImagingStudy:patient", "ImagingStudy:subject", "ImagingStudy:basedon"}
    assert "DiagnosticReport:imaging-study" in served["DiagnosticReport"]["searchInclude"]
    assert "create" not in {i["code"] for i in served["ImagingStudy"]["interaction"]}
