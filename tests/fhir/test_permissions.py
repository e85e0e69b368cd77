"""Who sees what over FHIR, with the accounts app's real rules and personas, negatives first:
a physician sees another clinic's patient only with that patient's consent; staff see their
own sites; a token limited to one patient sees only that patient; a token without the scope
for a resource type gets 403. What may not be seen answers 404, as if it did not exist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from radbridge.accounts.models import Consent
from tests.fhir.conftest import Api, validate
from tests.permission_matrix import check_matrix
from tests.personas import api_token_for, make_integration, sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db
PATHS = {
    "Patient": lambda r: r.patient.pk,
    "ServiceRequest": lambda r: r.order.pk,
    "DiagnosticReport": lambda r: r.report.pk,
    "ImagingStudy": lambda r: r.study.pk,
}


@pytest.fixture
def centre(dicom_storage_dir):
    return patient_record("Alice"), patient_record("Bob")


def url(record, resource: str) -> str:
    return f"/fhir/{resource}/{PATHS[resource](record)}"


@pytest.mark.parametrize("resource", ["ServiceRequest", "DiagnosticReport", "ImagingStudy"])
def test_physician_sees_own_orders_not_another_clinics(client, centre, resource):
    alice, bob = centre
    check_matrix(client, url=url(alice, resource), permitted=alice.doctor,
                 outsider=bob.doctor, other_url=url(bob, resource), anonymous=(401,))


@pytest.mark.parametrize("resource", sorted(PATHS))
def test_physician_sees_another_clinics_patient_with_consent_and_not_after(client, centre,
                                                                          resource):
    alice, bob = centre
    doctor = sign_in(Client(), alice.doctor)
    assert doctor.get(url(bob, resource)).status_code == 404
    consent = Consent.objects.create(patient=bob.patient, physician=alice.doctor, source="staff",
                                     expires_at=timezone.now() + timedelta(days=1))
    answer = doctor.get(url(bob, resource))
    assert answer.status_code == 200 and validate(answer.json())["id"] == str(
        PATHS[resource](bob))
    consent.revoked_at = timezone.now()
    consent.save()
    assert doctor.get(url(bob, resource)).status_code == 404


@pytest.mark.parametrize("resource", sorted(PATHS))
def test_staff_see_their_sites_only(client, centre, resource):
    alice, bob = centre
    check_matrix(client, url=url(alice, resource), permitted=alice.staff, outsider=bob.staff,
                 other_url=url(bob, resource), anonymous=(401,))


def test_staff_search_lists_their_sites_records_only(centre):
    alice, bob = centre
    api = Api(sign_in(Client(), alice.staff))
    for resource in PATHS:
        bundle = validate(api.get(resource)[1])
        assert [e["resource"]["id"] for e in bundle["entry"]] == [
            str(PATHS[resource](alice))], resource


def test_token_limited_to_one_patient_sees_only_that_patient(centre):
    alice, bob = centre
    app = Api(Client(), api_token_for(make_integration(), "system/*.read", patient=alice.patient))
    for resource in PATHS:
        assert app.get(url(alice, resource)[6:])[0] == 200, resource
        assert app.get(url(bob, resource)[6:])[0] == 404, resource
        bundle = app.get(resource)[1]
        assert [e["resource"]["id"] for e in bundle["entry"]] == [str(PATHS[resource](alice))]


def test_integration_token_sees_everyone_it_is_scoped_for(centre):
    alice, bob = centre
    app = Api(Client(), api_token_for(make_integration(), "system/DiagnosticReport.read"))
    assert {e["resource"]["id"] for e in app.get("DiagnosticReport")[1]["entry"]} == {
        str(alice.report.pk), str(bob.report.pk)}
    for resource in ("Patient", "ServiceRequest"):
        status, outcome, response = app.get(url(alice, resource)[6:])
        assert status == 403 and "insufficient_scope" in response["WWW-Authenticate"]
        assert resource in outcome["issue"][0]["diagnostics"]


def test_patient_token_without_the_scope_gets_403_even_for_their_own_record(centre):
    alice, _ = centre
    app = Api(Client(), api_token_for(alice.user, "patient/Patient.read"))
    assert app.get(f"Patient/{alice.patient.pk}")[0] == 200
    assert app.get(f"DiagnosticReport/{alice.report.pk}")[0] == 403
