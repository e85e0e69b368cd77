"""POST Patient registers a patient; POST ServiceRequest places an order that reaches the RIS
as ORM^O01. Bad bodies get OperationOutcome naming the element."""

import pytest

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Order, Patient
from radbridge.hl7.wire import parse_message
from tests.fhir.conftest import Api, ingest, patient_token, token_for, validate
from tests.hl7.helpers import orm
from tests.hl7.ris import deliver_to_ris
from tests.personas import (
    api_token_for,
    make_integration,
    make_site,
    make_staff,
    sign_in,
)

NEW_PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:radbridge:authority:MERCY", "value": "SELF1"}],
    "name": [{"family": "Roe", "given": ["Ann", "Marie"]}],
    "gender": "female",
    "birthDate": "1990-02-03",
    "telecom": [{"system": "email", "value": "ann@example.org"}],
}


def order_body(patient_id, **extra):
    return {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "code": {
            "coding": [{"system": "http://loinc.org", "code": "24627-2", "display": "CT Chest"}]
        },
        "priority": "stat",
        "reasonCode": [{"text": "cough for 3 weeks"}],
        "orderDetail": [
            {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "CT"}]}
        ],
        **extra,
    }


@pytest.fixture
def clerk(db, client):
    """The RIS's integration account: creates patients and orders through its role."""
    user = make_integration(username="clerk")
    return Api(client, token_for(user, "system/*.*"))


@pytest.mark.django_db
def test_post_patient_registers_and_answers_201_with_location(clerk):
    status, body, response = clerk.post("Patient", NEW_PATIENT)
    assert status == 201, body
    validate(body)
    patient = Patient.objects.get()
    assert response["Location"].endswith(f"/fhir/Patient/{patient.pk}")
    assert (patient.family_name, patient.given_name, patient.middle_name) == ("Roe", "Ann", "Marie")
    assert patient.identifiers.get().assigning_authority == "MERCY"
    assert body["identifier"][0]["system"] == "urn:radbridge:authority:MERCY"


@pytest.mark.django_db
def test_posting_the_same_patient_again_answers_200_with_the_same_record(clerk):
    first = clerk.post("Patient", NEW_PATIENT)[1]
    status, again, _ = clerk.post("Patient", NEW_PATIENT)
    assert status == 200 and again["id"] == first["id"]
    assert Patient.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status", "expression"),
    [
        ({**NEW_PATIENT, "identifier": []}, 422, "Patient.identifier"),
        ({**NEW_PATIENT, "identifier": [{"system": "urn:x"}]}, 422, "Patient.identifier[0].value"),
        ({**NEW_PATIENT, "birthDate": "1990-02-31"}, 400, "Patient.birthDate"),
        ({**NEW_PATIENT, "identifier": [{"value": 7}]}, 400, "Patient.identifier[0].value"),
        ({**NEW_PATIENT, "colour": "red"}, 400, "Patient.colour"),
        ({**NEW_PATIENT, "resourceType": "Practitioner"}, 400, "Patient.resourceType"),
    ],
)
def test_invalid_patient_is_refused_naming_the_element(clerk, body, status, expression):
    answer, outcome, _ = clerk.post("Patient", body)
    validate(outcome)
    assert answer == status
    assert outcome["issue"][0]["expression"] == [expression]
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_unparseable_or_wrong_media_type_bodies_are_refused(clerk):
    status, outcome, _ = clerk.post("Patient", '{"resourceType": "Pat')
    assert status == 400 and "not JSON" in outcome["issue"][0]["diagnostics"]
    status, outcome, _ = clerk.post("Patient", "<Patient/>", content_type="application/fhir+xml")
    assert status == 415


@pytest.mark.django_db
def test_identifier_of_a_patient_the_caller_cannot_change_is_a_conflict(client):
    ingest(orm("C1", "ACC1", mrn="TAKEN"))
    someone = Patient.objects.get()
    # Front desk of a site where this patient has no order: may register, may not change.
    desk = make_staff(Role.FRONT_DESK, sites=[make_site()])
    api = Api(client, token_for(desk, "user/Patient.write"))
    body = {
        **NEW_PATIENT,
        "identifier": [{"system": "urn:radbridge:authority:MERCY", "value": "TAKEN"}],
    }
    status, outcome, _ = api.post("Patient", body)
    assert status == 409
    someone.refresh_from_db()
    assert someone.family_name == "DOE"  # nothing was overwritten


@pytest.mark.django_db
def test_writes_need_the_permission_and_a_write_scope(client):
    reader = make_integration(username="reader")
    status, _, _ = Api(client, token_for(reader, "user/*.read")).post("Patient", NEW_PATIENT)
    assert status == 403
    radiologist = make_staff(Role.RADIOLOGIST, all_sites=True)
    status, outcome, _ = Api(client, token_for(radiologist, "user/*.*")).post(
        "Patient", NEW_PATIENT
    )
    assert status == 403 and "add_patient" in outcome["issue"][0]["diagnostics"]
    assert not Patient.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ({"code": {"coding": [{"system": "http://loinc.org"}]}}, "ServiceRequest.code"),
        ({"status": "draft"}, "ServiceRequest.status"),
        ({"subject": {"reference": "Patient/999999"}}, "ServiceRequest.subject"),
        ({"subject": {"reference": "Group/1"}}, "ServiceRequest.subject"),
        ({"requester": {"reference": "Practitioner/424242"}}, "ServiceRequest.requester"),
    ],
)
def test_invalid_service_request_is_422_naming_the_element(clerk, change, expression):
    ingest(orm("C1", "ACC1"))
    patient = Patient.objects.get()
    status, outcome, _ = clerk.post("ServiceRequest", order_body(patient.pk, **change))
    assert status == 422, outcome
    assert outcome["issue"][0]["expression"] == [expression]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_patient_token_cannot_place_orders(client):
    ingest(orm("C1", "ACC1", mrn="A"))
    mine = Patient.objects.get()
    api = patient_token(client, mine.pk, "patient/*.*")
    status, outcome, _ = api.post("ServiceRequest", order_body(mine.pk))
    assert status == 403 and "add_order" in outcome["issue"][0]["diagnostics"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_token_limited_to_one_patient_cannot_order_for_another(client):
    ingest(orm("C1", "ACC1", mrn="A"), orm("C2", "ACC2", mrn="B"))
    mine, theirs = Patient.objects.order_by("pk")
    app = api_token_for(make_integration(), "patient/*.*", patient=mine)
    status, outcome, _ = Api(client, app).post("ServiceRequest", order_body(theirs.pk))
    assert status == 422 and outcome["issue"][0]["expression"] == ["ServiceRequest.subject"]
    assert Api(client, app).post("ServiceRequest", order_body(mine.pk))[0] == 201


@pytest.mark.django_db(transaction=True)
def test_posted_service_request_reaches_the_ris_as_orm_o01(clerk, ris):
    ingest(orm("C1", "ACC1"))
    patient = Patient.objects.get()
    body = order_body(
        patient.pk,
        identifier=[{"system": "urn:radbridge:accession", "value": "WEB42"}],
        occurrenceDateTime="2026-02-01T09:30:00+01:00",
    )
    status, created, response = clerk.post("ServiceRequest", body)
    assert status == 201, created
    validate(created)
    order = Order.objects.get(accession_number="WEB42")
    assert response["Location"].endswith(f"/fhir/ServiceRequest/{order.pk}")
    assert (order.priority, order.modality, order.procedure_coding_system) == ("stat", "CT", "LN")
    assert deliver_to_ris() == 1
    sent = parse_message(ris.received[0])
    assert sent.message_type == "ORM^O01"
    obr = sent.segment("OBR")
    assert (obr.value(4, 1), obr.value(18), obr.value(27, 6)) == ("24627-2", "WEB42", "S")
    assert sent.segment("PID").value(3) == "MRN100"


@pytest.mark.django_db
def test_service_request_without_accession_gets_one_and_a_retry_with_it_is_idempotent(clerk):
    ingest(orm("C1", "ACC1"))
    patient = Patient.objects.get()
    status, created, _ = clerk.post("ServiceRequest", order_body(patient.pk))
    assert status == 201
    accession = next(
        i["value"] for i in created["identifier"] if i["system"] == "urn:radbridge:accession"
    )
    assert accession.startswith("RB") and len(accession) <= 16  # fits DICOM's SH
    again = order_body(
        patient.pk, identifier=[{"system": "urn:radbridge:accession", "value": accession}]
    )
    status, same, _ = clerk.post("ServiceRequest", again)
    assert status == 200 and same["id"] == created["id"]


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token_bearer_writes_do_not():
    from django.test import Client

    browser = sign_in(Client(enforce_csrf_checks=True), make_staff(Role.FRONT_DESK))
    status, outcome, _ = Api(browser).post("Patient", NEW_PATIENT)
    assert status == 403 and "CSRF" in outcome["issue"][0]["diagnostics"]
    user = make_integration(username="integration")
    assert (
        Api(Client(enforce_csrf_checks=True), token_for(user, "system/Patient.write")).post(
            "Patient", NEW_PATIENT
        )[0]
        == 201
    )
