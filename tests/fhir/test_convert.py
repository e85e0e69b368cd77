"""HL7 v2 → FHIR Bundle without storing anything: the endpoint, the command, the corpus."""

import json
import subprocess
import sys

import pytest

from radbridge.clinical.models import Patient
from radbridge.core.models import AuditEntry, OutboxEvent
from tests.conftest import CORPUS, corpus_files
from tests.fhir.conftest import Api, ingest, validate
from tests.hl7.test_corpus import NOT_APPLIED

pytestmark = pytest.mark.django_db
CONVERTIBLE = [path for path in corpus_files() if path.name not in NOT_APPLIED]


def convert(api, raw: bytes, content_type="x-application/hl7-v2+er7"):
    response = api.client.post(
        "/fhir/$convert-hl7v2", raw, content_type=content_type, **api.headers
    )
    return response.status_code, response.json(), response


@pytest.mark.parametrize("path", CONVERTIBLE, ids=lambda p: p.name)
def test_every_applicable_corpus_message_converts_to_a_valid_bundle_storing_nothing(
    staff_api, path
):
    audit_entries = AuditEntry.objects.count()
    status, bundle, _ = convert(staff_api, path.read_bytes())
    assert status == 200, bundle
    validate(bundle)
    assert bundle["type"] == "transaction" and bundle["entry"]
    assert any(e["resource"]["resourceType"] == "Patient" for e in bundle["entry"])
    assert not Patient.objects.exists() and not OutboxEvent.objects.exists()
    assert AuditEntry.objects.count() == audit_entries


def test_converted_report_uses_the_same_mapping_as_the_stored_one(staff_api):
    raw = (CORPUS / "dcm4che-2021__ORU_R01.hl7").read_bytes()
    _, bundle, _ = convert(staff_api, raw)
    by_type = {e["resource"]["resourceType"]: e for e in bundle["entry"]}
    converted = by_type["DiagnosticReport"]["resource"]
    assert converted["subject"]["reference"] == by_type["Patient"]["fullUrl"]
    assert converted["basedOn"][0]["reference"] == by_type["ServiceRequest"]["fullUrl"]
    ingest(raw)
    stored = staff_api.get("DiagnosticReport")[1]["entry"][0]["resource"]
    for element in ("status", "identifier", "code", "conclusion", "effectiveDateTime"):
        assert converted.get(element) == stored.get(element), element
    patient = staff_api.get("Patient")[1]["entry"][0]["resource"]
    for element in ("identifier", "name", "birthDate", "gender"):
        assert by_type["Patient"]["resource"].get(element) == patient.get(element), element


def test_transaction_entries_are_conditional_on_business_identifiers(staff_api):
    _, bundle, _ = convert(staff_api, (CORPUS / "dcm4che-2021__ORM_O01.hl7").read_bytes())
    requests = {e["resource"]["resourceType"]: e["request"] for e in bundle["entry"]}
    assert requests["Patient"]["ifNoneExist"] == "identifier=urn:radbridge:authority:ADT1|583295"
    assert requests["ServiceRequest"]["ifNoneExist"] == "identifier=urn:radbridge:accession|MOF5026"


def test_parameters_body_is_accepted(staff_api):
    text = (CORPUS / "msfhirconv__SIU-S12-02.hl7").read_text()
    body = {"resourceType": "Parameters", "parameter": [{"name": "message", "valueString": text}]}
    status, bundle, _ = convert(staff_api, json.dumps(body), "application/fhir+json")
    assert status == 200
    appointment = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Appointment")
    assert appointment["resource"]["minutesDuration"] == 70


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"this is not hl7", "no MSH segment"),
        ((CORPUS / "medplum__ACK_nonstandard_field_separator.hl7").read_bytes(), "MSH-9"),
        (b"MSH|^~\\&|RIS|H|RB|C|20260101||ORM^O01|1|P|2.5\rPV1|1|O\r", "PID"),
        ((CORPUS / "dcm4che__ORU_R01-PDF.hl7").read_bytes(), "BASE64"),
    ],
)
def test_unconvertible_messages_get_422_saying_why(staff_api, raw, expected):
    status, outcome, _ = convert(staff_api, raw)
    validate(outcome)
    assert status == 422 and expected in outcome["issue"][0]["diagnostics"]


def test_warnings_are_returned_in_a_header(staff_api):
    _, _, response = convert(staff_api, (CORPUS / "v2tofhir-ig__MDM_T02.hl7").read_bytes())
    assert "attachment skipped" in response["X-RadBridge-Warning"]


def test_conversion_needs_a_login(client):
    status, _, _ = convert(Api(client), (CORPUS / "dcm4che-2021__ORM_O01.hl7").read_bytes())
    assert status == 401


def test_oversized_input_is_refused(staff_api, settings):
    settings.HL7_MAX_MESSAGE_BYTES = 100
    status, outcome, _ = convert(staff_api, (CORPUS / "dcm4che-2021__ORM_O01.hl7").read_bytes())
    assert status == 413


def test_cli_prints_the_bundle_and_names_the_file_on_error(tmp_path):
    source = CORPUS / "dcm4che-2021__ORM_O01.hl7"
    result = subprocess.run(
        [sys.executable, "-m", "radbridge.cli", "hl7", "to-fhir", str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    bundle = validate(json.loads(result.stdout))
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} >= {"Patient", "ServiceRequest"}
    broken = tmp_path / "broken.hl7"
    broken.write_bytes(b"garbage")
    result = subprocess.run(
        [sys.executable, "-m", "radbridge.cli", "hl7", "to-fhir", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "broken.hl7" in result.stderr and "MSH" in result.stderr
