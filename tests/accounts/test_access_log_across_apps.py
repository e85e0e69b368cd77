"""Whoever reads a patient's records, through whichever app, shows in that patient's access
log and in "who has seen this patient's records": images over DICOMweb, resources over FHIR,
the reconciliation and image admin pages. Each read is a `read.` audit entry naming the
patient (core.audit.record_read / record_reads)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from radbridge.accounts.audit_log import viewers_of
from tests.personas import api_token_for, sign_in
from tests.scenarios import patient_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_and_bob(actor, dicom_storage_dir):
    return patient_record("Alice"), patient_record("Bob")


def actions_seen(patient) -> list[tuple[str, str]]:
    return [(entry.actor.split(" ")[0], entry.action) for entry in viewers_of([patient.pk])]


def test_a_patients_own_dicomweb_reads_are_in_their_access_log(alice_and_bob):
    alice, bob = alice_and_bob
    client = sign_in(Client(), alice.user)
    for suffix in ("/series/{se}/thumbnail", "/series/{se}/instances/{i}/rendered",
                   "/metadata"):
        assert client.get(alice.dicomweb(suffix)).status_code == 200
    assert client.get("/dicomweb/studies").status_code == 200
    assert actions_seen(alice.patient) == [
        ("user:alice", "read.dicomweb.search"), ("user:alice", "read.dicomweb.metadata"),
        ("user:alice", "read.dicomweb.rendered"), ("user:alice", "read.dicomweb.thumbnail"),
    ]
    page = client.get("/my/access-log/")
    assert page.status_code == 200
    for what in (b"dicomweb.thumbnail", b"dicomweb.rendered", b"dicomweb.metadata"):
        assert what in page.content
    assert actions_seen(bob.patient) == []


def test_a_physicians_fhir_and_dicomweb_reads_show_to_the_patient(alice_and_bob):
    alice, _ = alice_and_bob
    doctor = sign_in(Client(), alice.doctor)
    assert doctor.get(f"/fhir/ImagingStudy/{alice.study.pk}").status_code == 200
    assert doctor.get(alice.dicomweb("/series/{se}/instances/{i}/frames/1")).status_code == 200
    name = f"user:{alice.doctor.username}"
    assert actions_seen(alice.patient) == [
        (name, "read.dicomweb.frames"), (name, "read.fhir.read")]
    page = sign_in(Client(), alice.user).get("/my/access-log/")
    assert alice.doctor.username.encode() in page.content


def test_an_app_with_a_patient_token_shows_in_the_log(alice_and_bob):
    alice, _ = alice_and_bob
    token = api_token_for(alice.user, "patient/*.read", patient=alice.patient)
    Client().get(alice.dicomweb("/series"), HTTP_AUTHORIZATION=f"Bearer {token}")
    [(actor, action)] = actions_seen(alice.patient)
    assert actor == "user:alice" and action == "read.dicomweb.search"


def test_centre_admin_sees_every_reader_of_the_patient(alice_and_bob):
    alice, _ = alice_and_bob
    sign_in(Client(), alice.user).get(alice.dicomweb("/thumbnail"))
    # A Django superuser: a centre administrator who may also use the admin site.
    admin = sign_in(Client(), User.objects.create_superuser("root", password=None))
    admin.get("/admin/imaging/study/")
    page = admin.get(f"/patients/{alice.patient.pk}/viewers/")
    assert page.status_code == 200
    assert b"read.dicomweb.thumbnail" in page.content and b"read.study_list" in page.content
