"""Journeys through the pages with Django's test client: sign-up from an invitation, sharing
a study with a doctor, staff granting consent, administrators managing users and reading
the audit log."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from radbridge.accounts.choices import InvitationSource, Role
from radbridge.accounts.models import Consent, Invitation, ShareCode
from radbridge.accounts.services import invitations
from radbridge.core.models import AuditEntry, OutboxEvent
from tests.personas import (
    make_centre_admin,
    make_clinic,
    make_clinic_admin,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 9"


def test_patient_signs_up_from_the_invitation_link(client):
    patient = make_patient(birth_date=date(1970, 8, 9))
    order = make_order(patient, report_text="Impression: healthy.")
    _, url = invitations.invite_patient(patient, order, source=InvitationSource.STAFF)
    path = url.split(":", 2)[-1].split("/", 1)[1]
    path = "/" + path
    assert client.get(path).status_code == 200
    assert client.get(path + "account/")["Location"] == path  # date of birth first
    wrong = client.post(path, {"birth_date": "1970-09-08"})
    assert b"does not match" in wrong.content
    assert client.post(path, {"birth_date": "1970-08-09"})["Location"] == path + "account/"
    code = OutboxEvent.objects.get(topic="auth.one_time_code").payload["code"]
    done = client.post(path + "account/", {
        "code": code, "username": "newpat", "email": "", "password1": PASSWORD,
        "password2": PASSWORD,
    })
    assert done.status_code == 302
    page = client.get(f"/studies/{order.pk}/")
    assert b"Impression: healthy." in page.content
    assert client.get(path).status_code == 404  # used: the link no longer works


def test_unknown_invitation_link_is_a_clear_404(client):
    page = client.get("/signup/inv_does-not-exist/")
    assert page.status_code == 404 and b"does not work" in page.content


def test_doctor_opens_a_shared_study_with_code_and_birth_date(client):
    patient = make_patient(birth_date=date(1960, 1, 31))
    order = make_order(patient, report_text="Impression: stable nodule.")
    user = make_patient_user(patient)
    sign_in(client, user)
    created = client.post("/my/sharing/", {
        "order": order.pk, "expires_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        "label": "Dr Jones", "max_views": 2,
    })
    code = created.content.split(b'id="share-code">')[1].split(b"<")[0].decode()
    client.logout()
    refused = client.post("/share/", {"code": code, "birth_date": "1960-01-30"})
    assert b"do not open a shared study" in refused.content
    opened = client.post("/share/", {"code": code, "birth_date": "1960-01-31"})
    view = client.get(opened["Location"])
    assert b"Impression: stable nodule." in view.content
    assert client.get(opened["Location"]).status_code == 200
    assert client.get(opened["Location"]).status_code == 410  # two views allowed
    assert ShareCode.objects.get().view_count == 2
    assert AuditEntry.objects.filter(action="read.share", patient_id=patient.pk).count() == 2


def test_patient_sees_who_viewed_their_records(client):
    order = make_order(report_text="r")
    user = make_patient_user(order.patient)
    radiologist = make_staff(Role.RADIOLOGIST, all_sites=True, username="dr-rad")
    sign_in(client, radiologist)
    client.get(f"/studies/{order.pk}/")
    client.logout()
    sign_in(client, user)
    page = client.get("/my/access-log/")
    assert b"dr-rad" in page.content and b"radiologist" in page.content


def test_staff_record_consent_and_physician_gains_access(client):
    order = make_order(report_text="elsewhere")
    doctor = make_physician(clinic=make_clinic())
    desk = make_staff(Role.FRONT_DESK, all_sites=True)
    sign_in(client, desk)
    client.post(f"/patients/{order.patient_id}/consent/", {
        "consent-physician": doctor.pk,
        "consent-expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
    })
    consent = Consent.objects.get()
    assert consent.source == "staff" and consent.granted_by == desk
    client.logout()
    sign_in(client, doctor)
    assert client.get(f"/studies/{order.pk}/").status_code == 200


def test_staff_send_an_invitation_from_the_patient_page(client):
    order = make_order()
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    client.post(f"/patients/{order.patient_id}/invite/", {"invite-order": order.pk})
    assert Invitation.objects.get().order == order
    assert OutboxEvent.objects.filter(topic="portal.invitation").count() == 1


def test_technologists_cannot_send_invitations(client):
    order = make_order()
    sign_in(client, make_staff(Role.TECHNOLOGIST, all_sites=True))
    assert client.post(f"/patients/{order.patient_id}/invite/", {}).status_code == 404


def test_clinic_admin_creates_a_physician_in_their_clinic_only(client):
    clinic, other = make_clinic(), make_clinic()
    admin = make_clinic_admin(clinic)
    doctor = make_physician(clinic=clinic)
    sign_in(client, admin)
    response = client.post("/users/new/", {
        "username": "newdoc", "role": Role.PHYSICIAN,
        "practitioner": doctor.profile.practitioner_id, "clinic": other.pk,
    })
    assert response.status_code == 302
    created = User.objects.get(username="newdoc")
    assert created.profile.clinic == clinic  # not the other clinic they asked for
    refused = client.post("/users/new/", {"username": "boss", "role": Role.CENTRE_ADMIN})
    assert b"Select a valid choice" in refused.content


def test_role_change_is_audited(client):
    admin = make_centre_admin()
    target = make_staff(Role.TECHNOLOGIST)
    sign_in(client, admin)
    client.post(f"/users/{target.pk}/", {"role": Role.RADIOLOGIST, "all_sites": "on"})
    entry = AuditEntry.objects.get(action="accounts.role_changed")
    assert entry.detail == {"previous_role": "technologist", "role": "radiologist",
                            "username": target.username}


def test_administrators_cannot_change_themselves(client):
    admin = make_centre_admin()
    sign_in(client, admin)
    assert client.get(f"/users/{admin.pk}/").status_code == 404


def test_audit_viewer_filters_and_exports_csv(client):
    order = make_order(report_text="r")
    admin = make_centre_admin(username="auditor")
    sign_in(client, make_staff(all_sites=True, username="looker"))
    client.get(f"/studies/{order.pk}/")
    client.logout()
    sign_in(client, admin)
    page = client.get(f"/audit/?patient={order.patient_id}&action=read.")
    assert b"user:looker" in page.content
    export = client.get(f"/audit/?patient={order.patient_id}&format=csv")
    body = b"".join(export.streaming_content).decode()
    assert export["Content-Type"] == "text/csv" and body.startswith("id,at,actor")
    assert "user:looker" in body
    assert AuditEntry.objects.filter(action="read.audit_export", actor="user:auditor").exists()


def test_patient_viewers_page_lists_reads_of_that_patient_only(client):
    mine, other = make_order(report_text="r"), make_order(report_text="r")
    sign_in(client, make_staff(all_sites=True, username="reader1"))
    client.get(f"/studies/{other.pk}/")
    client.logout()
    sign_in(client, make_centre_admin())
    page = client.get(f"/patients/{mine.patient_id}/viewers/")
    assert b"reader1" not in page.content


def test_list_pages_stay_within_their_query_budget(client, django_assert_max_num_queries):
    doctor = make_physician(clinic=make_clinic())
    for _ in range(30):
        make_order(practitioner=doctor.profile.practitioner, report_text="r")
    staff = make_staff(all_sites=True)
    patient_user = make_patient_user()
    for _ in range(5):
        make_order(patient_user.profile.patient)
    # Measured once; a page that grows past its budget has an N+1 or a new query to justify.
    # The worklist: + its place choices, the last visit read and written back (first visit),
    # the physician rule's id lists, the count, and the page's ids before its rows.
    budgets = [(doctor, "/studies/", 17), (staff, "/patients/", 10),
               (patient_user, "/my/studies/", 13), (make_centre_admin(), "/audit/", 10),
               (make_centre_admin(), "/users/", 8)]
    for user, url, budget in budgets:
        sign_in(client, user)
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
        client.logout()
