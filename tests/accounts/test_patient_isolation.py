"""Patient A cannot reach patient B's records by guessing IDs, wherever they are served: the
portal's report page, the images over DICOMweb (QIDO, metadata, instances, frames, rendered
pictures, thumbnails), the FHIR API and share pages. Each answers 404, never 403 (A may not
learn that B's record exists), while A reaches their own. The accounts app's real rules decide,
for every app at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from radbridge.accounts.services.shares import create_share
from tests.permission_matrix import check_matrix
from tests.personas import api_token_for, sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db

DICOMWEB = [
    "", "/metadata", "/thumbnail", "/series", "/instances", "/series/{se}",
    "/series/{se}/metadata", "/series/{se}/thumbnail", "/series/{se}/instances",
    "/series/{se}/instances/{i}", "/series/{se}/instances/{i}/metadata",
    "/series/{se}/instances/{i}/frames/1", "/series/{se}/instances/{i}/rendered",
    "/series/{se}/instances/{i}/frames/1/rendered", "/series/{se}/instances/{i}/thumbnail",
]


@pytest.fixture
def alice_and_bob(actor, dicom_storage_dir):
    return patient_record("Alice"), patient_record("Bob")


def test_report_page(client, alice_and_bob):
    alice, bob = alice_and_bob
    check_matrix(client, url=f"/studies/{alice.order.pk}/", permitted=alice.user,
                 outsider=bob.user, other_url=f"/studies/{bob.order.pk}/")


@pytest.mark.parametrize("suffix", DICOMWEB)
def test_images_over_dicomweb(client, alice_and_bob, suffix):
    alice, bob = alice_and_bob
    check_matrix(client, url=alice.dicomweb(suffix), permitted=alice.user, outsider=bob.user,
                 other_url=bob.dicomweb(suffix), anonymous=(401,))


def test_qido_search_by_guessed_uid_or_patient_id_finds_nothing(alice_and_bob):
    alice, bob = alice_and_bob
    client = sign_in(Client(), alice.user)
    for query in (f"StudyInstanceUID={bob.study.study_instance_uid}",
                  f"PatientID={bob.patient.identifiers.get().value}",
                  f"AccessionNumber={bob.order.accession_number}", ""):
        found = client.get(f"/dicomweb/studies?{query}").json()
        uids = {study["0020000D"]["Value"][0] for study in found}
        assert bob.study.study_instance_uid not in uids, query
    assert uids == {alice.study.study_instance_uid}


@pytest.mark.parametrize(
    "resource", ["Patient", "ServiceRequest", "DiagnosticReport", "ImagingStudy"]
)
def test_fhir_resources(client, alice_and_bob, resource):
    alice, bob = alice_and_bob
    ids = {"Patient": "patient", "ServiceRequest": "order", "DiagnosticReport": "report",
           "ImagingStudy": "study"}
    mine, theirs = (getattr(r, ids[resource]).pk for r in (alice, bob))
    check_matrix(client, url=f"/fhir/{resource}/{mine}", permitted=alice.user,
                 outsider=bob.user, other_url=f"/fhir/{resource}/{theirs}", anonymous=(401,))


def test_fhir_with_the_patients_own_token(client, alice_and_bob):
    alice, bob = alice_and_bob
    token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(alice.user, 'patient/*.read')}"}
    assert client.get(f"/fhir/DiagnosticReport/{alice.report.pk}", **token).status_code == 200
    for path in (f"Patient/{bob.patient.pk}", f"ServiceRequest/{bob.order.pk}",
                 f"DiagnosticReport/{bob.report.pk}", f"DiagnosticReport/{bob.report.pk}/_history",
                 f"ImagingStudy/{bob.study.pk}"):
        assert client.get(f"/fhir/{path}", **token).status_code == 404, path
    found = client.get("/fhir/DiagnosticReport", **token).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(alice.report.pk)]
    found = client.get("/fhir/ImagingStudy", **token).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(alice.study.pk)]


def test_share_pages(client, alice_and_bob):
    alice, bob = alice_and_bob
    share, _ = create_share(bob.user, bob.order, timezone.now() + timedelta(days=1))
    sign_in(client, alice.user)
    assert client.get(f"/share/{share.pk}/").status_code == 404
    assert client.post(f"/my/sharing/{share.pk}/revoke/").status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None
