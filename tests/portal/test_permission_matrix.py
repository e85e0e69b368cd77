"""Every page against every role, negatives first: guessing IDs gives 404, never someone
else's record; pages for other roles are 404 too."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.accounts.models import Consent, ProxyGrant, ShareCode
from tests.permission_matrix import check_matrix
from tests.personas import (
    make_centre_admin,
    make_clinic,
    make_clinic_admin,
    make_location,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def centre():
    site, other_site = make_site(), make_site()
    clinic, other_clinic = make_clinic(), make_clinic()
    alice, bob = make_patient(), make_patient()
    doctor = make_physician(clinic=clinic)
    other_doctor = make_physician(clinic=other_clinic)
    return {
        "alice": alice, "bob": bob,
        "alice_user": make_patient_user(alice), "bob_user": make_patient_user(bob),
        "doctor": doctor, "other_doctor": other_doctor,
        "alice_order": make_order(alice, doctor.profile.practitioner,
                                  make_location(site), report_text="Alice: no fracture."),
        "bob_order": make_order(bob, other_doctor.profile.practitioner,
                                make_location(other_site), report_text="Bob: clear lungs."),
        "tech": make_staff(Role.TECHNOLOGIST, sites=[site]),
        "other_tech": make_staff(Role.TECHNOLOGIST, sites=[other_site]),
        "admin": make_centre_admin(), "clinic_admin": make_clinic_admin(clinic),
    }


def test_patient_a_cannot_reach_patient_b_report_by_guessing_ids(client, centre):
    check_matrix(
        client, url=f"/studies/{centre['alice_order'].pk}/", permitted=centre["alice_user"],
        outsider=centre["bob_user"], other_url=f"/studies/{centre['bob_order'].pk}/",
    )
    sign_in(client, centre["alice_user"])
    page = client.get(f"/studies/{centre['alice_order'].pk}/")
    assert b"Alice: no fracture." in page.content
    # Nothing of Bob's: not his report, his name or his study (a bare "Bob" could be part of
    # a random token on the page).
    bob, bob_order = centre["bob"], centre["bob_order"]
    for secret in ("Bob: clear lungs.", bob.family_name, bob_order.accession_number):
        assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)".encode(), page.content), secret
    assert client.get("/studies/999999/").status_code == 404


def test_physician_cannot_see_another_clinics_patient_without_consent(client, centre):
    check_matrix(
        client, url=f"/studies/{centre['alice_order'].pk}/", permitted=centre["doctor"],
        outsider=centre["other_doctor"], other_url=f"/studies/{centre['bob_order'].pk}/",
    )
    Consent.objects.create(
        patient=centre["bob"], physician=centre["doctor"], source="staff",
        expires_at=timezone.now() + timedelta(days=1),
    )
    sign_in(client, centre["doctor"])
    assert client.get(f"/studies/{centre['bob_order'].pk}/").status_code == 200


def test_staff_see_their_sites_study_and_patient_pages_only(client, centre):
    check_matrix(
        client, url=f"/patients/{centre['alice'].pk}/", permitted=centre["tech"],
        outsider=centre["other_tech"], other_url=f"/patients/{centre['bob'].pk}/",
    )
    check_matrix(
        client, url=f"/studies/{centre['alice_order'].pk}/", permitted=centre["tech"],
        outsider=centre["other_tech"], other_url=f"/studies/{centre['bob_order'].pk}/",
    )


def test_patient_pages_are_404_for_other_roles(client, centre):
    for url in ("/my/studies/", "/my/sharing/", "/my/consent/", "/my/family/",
                "/my/access-log/"):
        check_matrix(client, url=url, permitted=centre["alice_user"], outsider=centre["doctor"])


def test_staff_pages_are_404_for_patients_and_physicians(client, centre):
    for outsider in (centre["alice_user"], centre["doctor"], centre["clinic_admin"]):
        check_matrix(client, url="/patients/", permitted=centre["tech"], outsider=outsider)


def test_audit_viewer_is_for_centre_administrators_only(client, centre):
    for outsider in (centre["tech"], centre["doctor"], centre["clinic_admin"],
                     centre["alice_user"]):
        check_matrix(client, url="/audit/", permitted=centre["admin"], outsider=outsider)
    check_matrix(client, url=f"/patients/{centre['alice'].pk}/viewers/",
                 permitted=centre["admin"], outsider=centre["tech"])


def test_user_management_for_administrators_only(client, centre):
    check_matrix(client, url="/users/", permitted=centre["clinic_admin"], outsider=centre["tech"])
    check_matrix(
        client, url=f"/users/{centre['doctor'].pk}/", permitted=centre["clinic_admin"],
        outsider=centre["doctor"], other_url=f"/users/{centre['other_doctor'].pk}/",
    )


def test_share_pages_of_another_patient_are_404(client, centre):
    share = ShareCode.objects.create(
        order=centre["bob_order"], patient=centre["bob"], code_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    sign_in(client, centre["alice_user"])
    assert client.post(f"/my/sharing/{share.pk}/revoke/").status_code == 404
    assert client.get(f"/share/{share.pk}/").status_code == 404  # never opened here
    assert ShareCode.objects.get(pk=share.pk).revoked_at is None


def test_revoking_another_patients_consent_or_proxy_is_404(client, centre):
    consent = Consent.objects.create(
        patient=centre["bob"], physician=centre["doctor"], source="staff",
        expires_at=timezone.now() + timedelta(days=1),
    )
    grant = ProxyGrant.objects.create(
        patient=centre["bob"], proxy=centre["bob_user"], relationship="carer"
    )
    sign_in(client, centre["alice_user"])
    assert client.post(f"/consent/{consent.pk}/revoke/").status_code == 404
    assert client.post(f"/proxy/{grant.pk}/revoke/").status_code == 404
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_staff_cannot_record_consent_for_a_patient_at_another_site(client, centre):
    sign_in(client, centre["other_tech"])
    response = client.post(f"/patients/{centre['alice'].pk}/consent/", {})
    assert response.status_code == 404
