"""Reading resources: the HL7 v2 record mapped to FHIR, 404 for what is unknown or hidden,
401/403/405/406/501 with OperationOutcome, one audit entry per read."""

import pytest

from radbridge.clinical.models import Order, Patient, Report
from radbridge.core.models import AuditEntry
from tests.fhir.conftest import Api, ingest, patient_token, token_for, validate
from tests.hl7.helpers import orm, oru
from tests.personas import make_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported():
    ingest(
        orm("C1", "ACC100"), oru("C2", "ACC100", ["FINDINGS: clear lungs.", "IMPRESSION: normal."])
    )
    return Report.objects.get()


def test_patient_reads_with_authority_systems_name_dates_and_address(staff_api, reported):
    patient = Patient.objects.get()
    status, body, _ = staff_api.get(f"Patient/{patient.pk}")
    assert status == 200
    validate(body)
    assert body["identifier"] == [
        {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ]
            },
            "system": "urn:radbridge:authority:MERCY",
            "value": "MRN100",
        }
    ]
    assert body["name"] == [{"family": "DOE", "given": ["JANE", "Q"]}]
    assert (body["birthDate"], body["gender"]) == ("1964-03-12", "female")
    assert body["address"][0]["city"] == "SPRINGFIELD"
    assert body["telecom"] == [{"system": "phone", "value": "(217)555-0142"}]


def test_configured_authority_uri_is_used_as_identifier_system(staff_api, reported, settings):
    settings.FHIR_AUTHORITY_SYSTEMS = {"MERCY": "urn:oid:1.2.840.99"}
    _, body, _ = staff_api.get(f"Patient/{Patient.objects.get().pk}")
    assert body["identifier"][0]["system"] == "urn:oid:1.2.840.99"


def test_service_request_carries_accession_placer_filler_and_priority(staff_api, reported):
    order = Order.objects.get()
    status, body, _ = staff_api.get(f"ServiceRequest/{order.pk}")
    validate(body)
    systems = {i["system"]: i["value"] for i in body["identifier"]}
    assert systems == {
        "urn:radbridge:placer-order": "PLACC100",
        "urn:radbridge:filler-order": "ACC100",
        "urn:radbridge:accession": "ACC100",
    }
    assert (body["status"], body["intent"], body["priority"]) == ("completed", "order", "routine")
    assert body["code"]["coding"][0]["code"] == "CTCHEST"
    assert body["subject"] == {"reference": f"Patient/{order.patient_id}"}
    assert body["requester"]["reference"].startswith("Practitioner/")
    assert body["orderDetail"][0]["coding"][0]["code"] == "CT"


def test_diagnostic_report_has_text_conclusion_and_links(staff_api, reported):
    status, body, response = staff_api.get(f"DiagnosticReport/{reported.pk}")
    validate(body)
    assert body["status"] == "final"
    assert body["basedOn"] == [{"reference": f"ServiceRequest/{reported.order_id}"}]
    assert body["conclusion"] == "normal."
    import base64

    text = base64.b64decode(body["presentedForm"][0]["data"]).decode()
    assert "clear lungs" in text
    assert body["meta"]["versionId"] == "1" and response["ETag"] == 'W/"1"'
    assert body["resultsInterpreter"][0]["reference"].startswith("Practitioner/")


def test_report_history_keeps_every_version(staff_api):
    ingest(
        orm("C1", "ACC7"),
        oru("C2", "ACC7", ["prelim words"], status="P"),
        oru("C3", "ACC7", ["final words"], status="F"),
    )
    report = Report.objects.get()
    status, bundle, _ = staff_api.get(f"DiagnosticReport/{report.pk}/_history")
    validate(bundle)
    assert [e["resource"]["status"] for e in bundle["entry"]] == ["final", "preliminary"]
    assert [e["resource"]["meta"]["versionId"] for e in bundle["entry"]] == ["2", "1"]
    status, first, _ = staff_api.get(f"DiagnosticReport/{report.pk}/_history/1")
    assert status == 200 and first["status"] == "preliminary"
    status, _, _ = staff_api.get(f"DiagnosticReport/{report.pk}/_history/9")
    assert status == 404


def test_unknown_resource_is_404_operation_outcome(staff_api):
    status, body, _ = staff_api.get("Patient/424242")
    validate(body)
    assert status == 404 and body["issue"][0]["code"] == "not-found"
    status, body, _ = staff_api.get("Patient/not-a-number")
    assert status == 404


def test_anonymous_gets_401_with_bearer_challenge(client, reported):
    status, body, response = Api(client).get(f"Patient/{reported.order.patient_id}")
    assert status == 401 and response["WWW-Authenticate"].startswith("Bearer")
    validate(body)


def test_patient_token_cannot_read_another_patients_resources(client, reported):
    ingest(orm("C9", "OTHER1", mrn="MRN200"), oru("C10", "OTHER1", ["theirs"], mrn="MRN200"))
    mine = Patient.objects.get(identifiers__value="MRN100")
    theirs = Report.objects.get(order__accession_number="OTHER1")
    api = patient_token(client, mine.pk)
    assert api.get(f"DiagnosticReport/{reported.pk}")[0] == 200
    for path in (
        f"DiagnosticReport/{theirs.pk}",
        f"ServiceRequest/{theirs.order_id}",
        f"Patient/{theirs.order.patient_id}",
        f"DiagnosticReport/{theirs.pk}/_history",
    ):
        status, body, _ = api.get(path)
        assert status == 404, path
        assert body["resourceType"] == "OperationOutcome"


def test_token_without_a_scope_for_the_type_gets_403(client, reported):
    user = make_integration(username="integration")
    api = Api(client, token_for(user, "system/Patient.read"))
    assert api.get(f"Patient/{reported.order.patient_id}")[0] == 200
    status, body, response = api.get(f"DiagnosticReport/{reported.pk}")
    assert status == 403 and "insufficient_scope" in response["WWW-Authenticate"]
    assert "DiagnosticReport" in body["issue"][0]["diagnostics"]


def test_each_read_is_audited_once_with_the_patient(staff_api, reported):
    last = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    staff_api.get(f"DiagnosticReport/{reported.pk}")
    entry = AuditEntry.objects.get(pk__gt=last)
    assert (entry.action, entry.object_type, entry.object_id) == (
        "read.fhir.read",
        "DiagnosticReport",
        str(reported.pk),
    )
    assert entry.patient_id == reported.order.patient_id
    assert entry.actor == "user:radiographer"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("put", "Patient/1", 405),
        ("delete", "Patient/1", 405),
        ("patch", "DiagnosticReport/1", 405),
        ("get", "Patient/1/$everything", 501),
        ("post", "", 501),
        ("get", "Patient/_history", 501),
        ("get", "Patient/1/_history", 501),
        ("get", "ImagingStudy/1", 404),
        ("get", "Slot/not-a-slot", 404),
        ("get", "Observation", 404),
    ],
)
def test_unsupported_interactions_answer_with_a_clear_outcome(staff_api, method, path, expected):
    response = getattr(staff_api.client, method)(f"/fhir/{path}")
    assert response.status_code == expected
    body = validate(response.json())
    assert body["issue"][0]["diagnostics"]


def test_xml_is_refused_with_406(staff_api, reported):
    status, body, _ = staff_api.get("Patient", {"_format": "xml"})
    assert status == 406 and "JSON only" in body["issue"][0]["diagnostics"]
    status, _, _ = staff_api.get("Patient", HTTP_ACCEPT="application/fhir+xml")
    assert status == 406
    status, _, response = staff_api.get("Patient", {"_format": "json"})
    assert status == 200 and response["Content-Type"].startswith("application/fhir+json")


def test_capability_statement_lists_what_is_served(client):
    status, body, _ = Api(client).get("metadata")
    validate(body)
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {"read", "search-type"} <= {i["code"] for i in served["Slot"]["interaction"]}
    assert {"create"} <= {i["code"] for i in served["Appointment"]["interaction"]}
    assert "actor" in {p["name"] for p in served["Schedule"]["searchParam"]}
    report = served["DiagnosticReport"]
    assert {"vread", "history-instance"} <= {i["code"] for i in report["interaction"]}
    assert "DiagnosticReport:based-on" in report["searchInclude"]
    assert {"create"} <= {i["code"] for i in served["ServiceRequest"]["interaction"]}
    assert "Slot" in body["rest"][0]["documentation"]
