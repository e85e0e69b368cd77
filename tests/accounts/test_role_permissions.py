"""Roles grant Django model permissions from one table (accounts.backends), and every write
endpoint asks `has_perm`: every role against FHIR POST Patient and ServiceRequest, STOW-RS and
the reconciliation page, with real personas. The expectations are written out here, not read
from the table, so a change to the table shows up as a failing test."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.accounts.middleware import ApiTokenMiddleware
from radbridge.accounts.models import Consent
from radbridge.clinical.models import Order, Patient
from radbridge.imaging.choices import Reconciliation
from radbridge.imaging.dicomweb import multipart
from radbridge.imaging.models import Instance, Study
from tests.imaging.helpers import ct_bytes, receive
from tests.personas import (
    api_token_for,
    make_centre_admin,
    make_clinic,
    make_clinic_admin,
    make_integration,
    make_location,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    make_user,
    sign_in,
)

pytestmark = pytest.mark.django_db

A, F, T, R = Role.CENTRE_ADMIN, Role.FRONT_DESK, Role.TECHNOLOGIST, Role.RADIOLOGIST
P, INT = Role.PHYSICIAN, Role.INTEGRATION
EXPECTED = {  # permission -> the roles that hold it (a Django superuser holds all)
    "clinical.add_patient": {A, F, INT},
    "clinical.add_order": {A, F, P, INT},
    "imaging.add_instance": {A, T, INT},
    "imaging.reconcile_study": {A, F, T},
    "clinical.view_report": {A, F, T, R, INT},
    "imaging.view_study": {A, F, T, R, INT},
    "notify.change_template": {A},
    "accounts.view_profile": {A},
    "auth.add_user": set(),  # Django's own: not RadBridge's to hand out
}
ENDPOINTS = {  # write endpoint -> the roles that may use it
    "fhir_post_patient": {A, F, INT},
    "fhir_post_service_request": {A, F, P, INT},
    "stow_rs": {A, T, INT},
    "reconcile_link": {A, F, T},
    "reconcile_reject": {A, F, T},
}


def persona(role: str, site=None, clinic=None):
    if role == Role.PATIENT:
        return make_patient_user()
    if role == Role.PHYSICIAN:
        return make_physician(clinic=clinic or make_clinic())
    if role == Role.CLINIC_ADMIN:
        return make_clinic_admin(clinic or make_clinic())
    if role in (F, T, R):
        return make_staff(role, sites=[site] if site else [])
    if role == Role.CENTRE_ADMIN:
        return make_centre_admin()
    return make_integration()


@pytest.mark.parametrize("permission", sorted(EXPECTED))
@pytest.mark.parametrize("role", Role.values)
def test_each_role_holds_exactly_its_permissions(role, permission):
    user = persona(role)
    assert user.has_perm(permission) is (role in EXPECTED[permission])


def test_a_user_without_a_role_or_inactive_holds_nothing():
    nobody = make_user(Role.FRONT_DESK)
    nobody.profile.delete()
    nobody = type(nobody).objects.get(pk=nobody.pk)
    assert not nobody.has_perm("clinical.add_patient")
    desk = make_staff(Role.FRONT_DESK)
    desk.is_active = False
    assert not desk.has_perm("clinical.add_patient")
    assert not AnonymousUser().has_perm("clinical.add_patient")


def test_roles_grant_no_object_level_permission():
    admin = make_centre_admin()
    assert not admin.has_perm("clinical.add_patient", obj=make_patient())


def holds_with_token(user, *scopes: str) -> dict[str, bool]:
    """has_perm as seen by a request that carries a token with these scopes."""
    token = api_token_for(user, *scopes)
    seen = {}

    def view(request):
        seen.update({p: request.user.has_perm(p) for p in EXPECTED})
        return None

    request = RequestFactory().get("/fhir/Patient", HTTP_AUTHORIZATION=f"Bearer {token}")
    request.user = AnonymousUser()
    ApiTokenMiddleware(view)(request)
    return seen


def test_a_token_narrows_the_role_to_what_its_scopes_allow():
    robot = make_integration()
    held = holds_with_token(robot, "system/Patient.write", "system/DiagnosticReport.read")
    assert {p for p, yes in held.items() if yes} == {
        "clinical.add_patient", "clinical.view_report"}
    everything = holds_with_token(robot, "system/*.*")
    assert {p for p, yes in everything.items() if yes} == {
        "clinical.add_patient", "clinical.add_order", "imaging.add_instance",
        "clinical.view_report", "imaging.view_study"}


def test_reconciling_is_never_granted_through_a_token():
    admin = make_centre_admin()
    assert admin.has_perm("imaging.reconcile_study")
    assert not holds_with_token(admin, "system/*.*")["imaging.reconcile_study"]


# --- every role against every write endpoint, over HTTP -----------------------------------


NEW_PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:radbridge:authority:TEST", "value": "NEW1"}],
    "name": [{"family": "Roe", "given": ["Ann"]}],
    "birthDate": "1990-02-03",
}


def order_body(patient: Patient) -> dict:
    return {
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "24627-2"}]},
        "identifier": [{"system": "urn:radbridge:accession", "value": "WEB1"}],
    }


@pytest.fixture
def centre(actor, dicom_storage_dir):
    """A site with a patient who has an order there; a study no rule could link."""
    site, clinic = make_site(), make_clinic()
    patient = make_patient()
    order = make_order(patient, location=make_location(site))
    receive("1.8.1", accession="TYPO", patient_id="SOMEONE")
    return {"site": site, "clinic": clinic, "patient": patient, "order": order}


def caller(role: str, centre) -> tuple[Client, dict]:
    """A signed-in client for people; an integration account calls with a token."""
    user = persona(role, centre["site"], centre["clinic"])
    if role == Role.PHYSICIAN:  # the patient let this doctor see their record
        Consent.objects.create(patient=centre["patient"], physician=user, source="staff",
                               expires_at=timezone.now() + timedelta(days=1))
    if role == Role.INTEGRATION:
        return Client(), {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(user, 'system/*.*')}"}
    return sign_in(Client(), user), {}


def fhir_post(client, headers, type_name, body):
    return client.post(f"/fhir/{type_name}", json.dumps(body),
                       content_type="application/fhir+json", **headers)


def stow(client, headers):
    boundary = "b0undary"
    body = b"".join(multipart.stream(
        [("application/dicom", [ct_bytes("1.8.2", accession="ANY")])], boundary))
    return client.post("/dicomweb/studies", body,
                       content_type=multipart.content_type(boundary, "application/dicom"),
                       **headers)


def reconcile(client, headers, action, centre):
    return client.post("/admin/imaging/study/reconciliation/", {
        "study_instance_uid": "1.8.1", "accession_number": centre["order"].accession_number,
        "reason": "typo at the modality", "action": action}, **headers)


def attempt(endpoint: str, client, headers, centre):
    """Call the endpoint; returns (HTTP status, whether the write happened)."""
    if endpoint == "fhir_post_patient":
        answer = fhir_post(client, headers, "Patient", NEW_PATIENT)
        return answer.status_code, Patient.objects.filter(identifiers__value="NEW1").exists()
    if endpoint == "fhir_post_service_request":
        answer = fhir_post(client, headers, "ServiceRequest", order_body(centre["patient"]))
        return answer.status_code, Order.objects.filter(accession_number="WEB1").exists()
    if endpoint == "stow_rs":
        answer = stow(client, headers)
        return answer.status_code, Instance.objects.filter(
            study__study_instance_uid="1.8.2").exists()
    action = endpoint.removeprefix("reconcile_")
    answer = reconcile(client, headers, action, centre)
    state = Study.objects.get(study_instance_uid="1.8.1").reconciliation
    done = {"link": Reconciliation.MATCHED, "reject": Reconciliation.REJECTED}[action]
    return answer.status_code, state == done


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("role", Role.values)
def test_every_role_against_every_write_endpoint(centre, role, endpoint):
    client, headers = caller(role, centre)
    status, written = attempt(endpoint, client, headers, centre)
    if role in ENDPOINTS[endpoint]:
        assert status in (200, 201, 302) and written, (role, endpoint, status)
    elif role == Role.INTEGRATION and endpoint.startswith("reconcile"):
        # API only: its token means nothing on a page, which sends it to sign in.
        assert status == 302 and not written, (role, endpoint, status)
    else:
        assert status == 403 and not written, (role, endpoint, status)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_anonymous_writes_are_refused_and_change_nothing(centre, endpoint):
    status, written = attempt(endpoint, Client(), {}, centre)
    assert status in (401, 302) and not written


def test_a_physician_orders_in_their_own_name_and_then_sees_the_order(centre):
    client, _ = caller(Role.PHYSICIAN, centre)
    someone_else = make_physician(clinic=centre["clinic"]).profile.practitioner
    refused = fhir_post(client, {}, "ServiceRequest", {
        **order_body(centre["patient"]),
        "requester": {"reference": f"Practitioner/{someone_else.pk}"}})
    assert refused.status_code == 422
    assert refused.json()["issue"][0]["expression"] == ["ServiceRequest.requester"]
    placed = fhir_post(client, {}, "ServiceRequest", order_body(centre["patient"]))
    assert placed.status_code == 201
    order = Order.objects.get(accession_number="WEB1")
    assert order.ordering_practitioner.profiles.get().role == Role.PHYSICIAN
    assert client.get(f"/fhir/ServiceRequest/{order.pk}").status_code == 200


def test_staff_cannot_link_a_study_to_another_sites_order(centre):
    other_site_desk = make_staff(Role.FRONT_DESK, sites=[make_site()])
    client = sign_in(Client(), other_site_desk)
    answer = reconcile(client, {}, "link", centre)
    assert answer.status_code == 302  # back to the list, with the error shown there
    assert Study.objects.get(study_instance_uid="1.8.1").order is None
    page = client.get("/admin/imaging/study/reconciliation/")
    assert b"No order has accession number" in page.content


def test_staff_cannot_reject_another_sites_matched_study(centre):
    receive("1.8.3", accession=centre["order"].accession_number,
            patient_id=centre["patient"].identifiers.get().value)
    assert Study.objects.get(study_instance_uid="1.8.3").order == centre["order"]
    elsewhere = sign_in(Client(), make_staff(Role.TECHNOLOGIST, sites=[make_site()]))
    elsewhere.post("/admin/imaging/study/reconciliation/", {
        "study_instance_uid": "1.8.3", "reason": "not ours", "action": "reject"})
    assert Study.objects.get(study_instance_uid="1.8.3").reconciliation == "matched"
    here = sign_in(Client(), make_staff(Role.TECHNOLOGIST, sites=[centre["site"]]))
    here.post("/admin/imaging/study/reconciliation/", {
        "study_instance_uid": "1.8.3", "reason": "wrong patient", "action": "reject"})
    assert Study.objects.get(study_instance_uid="1.8.3").reconciliation == "rejected"
