"""Who sees which images over DICOMweb, with the accounts app's real rules and personas,
negatives first: a physician sees another clinic's patient's images only with consent; staff
see their own sites; a token limited to one patient sees only that patient's studies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from radbridge.accounts.models import Consent
from tests.permission_matrix import check_matrix
from tests.personas import api_token_for, make_integration, sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db
LEVELS = ["/series", "/series/{se}/metadata", "/series/{se}/instances/{i}/rendered",
          "/thumbnail"]


@pytest.fixture
def centre(actor):
    return patient_record("Alice"), patient_record("Bob")


def found_studies(client, **headers) -> set[str]:
    return {s["0020000D"]["Value"][0] for s in client.get("/dicomweb/studies", **headers).json()}


@pytest.mark.parametrize("suffix", LEVELS)
def test_physician_sees_their_orders_images_not_another_clinics(client, centre, suffix):
    alice, bob = centre
    check_matrix(client, url=alice.dicomweb(suffix), permitted=alice.doctor,
                 outsider=bob.doctor, other_url=bob.dicomweb(suffix), anonymous=(401,))


def test_physician_sees_another_clinics_images_with_consent_only(centre):
    alice, bob = centre
    doctor = sign_in(Client(), alice.doctor)
    assert found_studies(doctor) == {alice.study.study_instance_uid}
    assert doctor.get(bob.dicomweb("/series")).status_code == 404
    Consent.objects.create(patient=bob.patient, physician=alice.doctor, source="staff",
                           expires_at=timezone.now() + timedelta(days=1))
    assert doctor.get(bob.dicomweb("/series")).status_code == 200
    assert found_studies(doctor) == {alice.study.study_instance_uid,
                                     bob.study.study_instance_uid}


@pytest.mark.parametrize("suffix", LEVELS)
def test_staff_see_their_sites_images_only(client, centre, suffix):
    alice, bob = centre
    check_matrix(client, url=alice.dicomweb(suffix), permitted=alice.staff, outsider=bob.staff,
                 other_url=bob.dicomweb(suffix), anonymous=(401,))


def test_token_limited_to_one_patient_sees_only_their_studies(centre):
    alice, bob = centre
    token = api_token_for(make_integration(), "system/ImagingStudy.read", patient=alice.patient)
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert found_studies(Client(), **header) == {alice.study.study_instance_uid}
    assert Client().get(alice.dicomweb("/metadata"), **header).status_code == 200
    assert Client().get(bob.dicomweb("/metadata"), **header).status_code == 404


def test_integration_token_without_the_imaging_scope_gets_403(centre):
    alice, _ = centre
    token = api_token_for(make_integration(), "system/DiagnosticReport.read")
    answer = Client().get(alice.dicomweb("/metadata"), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 403 and "ImagingStudy.read" in answer.json()["error"]
