"""Invitations and sign-up: outbox events carry the link and the code; only hashes are
stored; the date of birth and the code prove identity; the report consumer is idempotent."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from radbridge.accounts.choices import InvitationSource, Role
from radbridge.accounts.models import Invitation, OneTimeCode, Profile
from radbridge.accounts.permissions import own_patient_ids
from radbridge.accounts.services import invitations
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.data import IdentifierData, PatientData, ReportData
from radbridge.clinical.models import Order
from radbridge.clinical.services import merge_patients
from radbridge.core.models import OutboxEvent
from radbridge.core.outbox import relay_once
from tests.personas import make_order, make_patient, make_patient_user

pytestmark = pytest.mark.django_db
PASSWORD = "a long enough passphrase 9"


def invite(patient=None, order=None):
    patient = patient or make_patient()
    return invitations.invite_patient(patient, order, source=InvitationSource.STAFF)


def test_invitation_emits_event_with_link_and_stores_only_a_hash():
    order = make_order()
    invitation, url = invite(order.patient, order)
    event = OutboxEvent.objects.get(topic="portal.invitation")
    assert event.payload["url"] == url
    assert event.payload["accession_number"] == order.accession_number
    assert event.payload["to_phone"] == order.patient.phones[0]
    assert set(event.payload) >= {"patient_id", "order_id", "url", "to_phone", "to_email",
                                  "expires_at"}
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitations.find_invitation(token) == invitation


def test_wrong_birth_date_is_refused_and_five_misses_close_the_invitation():
    invitation, url = invite(make_patient(birth_date=date(1990, 1, 2)))
    token = url.rstrip("/").rsplit("/", 1)[1]
    for _ in range(5):
        assert not invitations.check_birth_date(invitation, date(1990, 2, 1))
    assert invitations.find_invitation(token) is None


def test_signup_code_event_and_hash_then_account_created():
    patient = make_patient(birth_date=date(1975, 3, 4), phone="+15551234")
    invitation, _ = invite(patient)
    assert invitations.check_birth_date(invitation, date(1975, 3, 4))
    row = invitations.send_signup_code(invitation)
    event = OutboxEvent.objects.get(topic="auth.one_time_code")
    code = event.payload["code"]
    assert event.payload["to_phone"] == "+15551234" and event.payload["purpose"] == "signup"
    assert code not in row.code_hash and len(row.code_hash) == 64
    with pytest.raises(AccountsError, match="code is not right"):
        invitations.complete_signup(invitation, "000000" if code != "000000" else "111111",
                                    "pat", "", PASSWORD)
    user = invitations.complete_signup(invitation, code, "pat", "pat@example.org", PASSWORD)
    assert user.profile.role == Role.PATIENT and user.profile.patient == patient
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is not None
    with pytest.raises(AccountsError):
        invitations.complete_signup(invitation, code, "pat2", "", PASSWORD)


def test_expired_code_fails():
    invitation, _ = invite()
    invitations.send_signup_code(invitation)
    code = OutboxEvent.objects.get(topic="auth.one_time_code").payload["code"]
    OneTimeCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AccountsError, match="expired"):
        invitations.complete_signup(invitation, code, "late", "", PASSWORD)


def test_weak_password_refused_at_signup():
    invitation, _ = invite()
    invitations.send_signup_code(invitation)
    code = OutboxEvent.objects.get(topic="auth.one_time_code").payload["code"]
    with pytest.raises(AccountsError, match="too short|too common"):
        invitations.complete_signup(invitation, code, "weak", "", "password")
    assert not Profile.objects.filter(user__username="weak").exists()


def test_a_patient_with_an_account_is_not_invited_again():
    patient = make_patient()
    make_patient_user(patient)
    with pytest.raises(AccountsError, match="already has an account"):
        invite(patient)


def test_patient_without_phone_or_email_gets_a_clear_error():
    patient = make_patient(phone="")
    patient.phones, patient.email = [], ""
    patient.save()
    with pytest.raises(AccountsError, match="no phone number or email on file"):
        invite(patient)


def report(accession: str):
    return ReportData(accession_number=accession, status="final", text="Impression: normal.",
                      order=None)


def test_results_link_for_a_patient_without_account_is_a_signup_link_tied_to_the_study():
    order = make_order()
    url = invitations.link_for_patient(order.patient_id, order.pk)
    invitation = Invitation.objects.get()
    assert "/signup/" in url and invitation.order == order
    assert invitation.source == InvitationSource.MESSAGE
    # The link travels in the results message itself: no separate invitation message.
    assert not OutboxEvent.objects.filter(topic="portal.invitation").exists()
    assert invitations.find_invitation(url.rstrip("/").rsplit("/", 1)[-1]) == invitation


def test_results_link_for_a_patient_with_account_is_the_study_page():
    order = make_order()
    make_patient_user(order.patient)
    assert invitations.link_for_patient(order.patient_id, order.pk).endswith(
        f"/studies/{order.pk}/"
    )
    assert not Invitation.objects.exists()


def test_results_link_for_a_patient_who_cannot_be_invited_is_the_sign_in_page():
    patient = make_patient(phone="")
    patient.phones, patient.email = [], ""
    patient.save()
    assert invitations.link_for_patient(patient.pk, None).endswith("/login/")
    assert not Invitation.objects.exists()


def test_account_follows_an_adt_merge():
    old = make_patient()
    survivor_mrn = "SURV1"
    user = make_patient_user(old)
    order = make_order(old)
    merge_patients(
        PatientData(identifiers=[IdentifierData(survivor_mrn, "TEST")], family_name="Merged"),
        [IdentifierData(old.identifiers.first().value, "TEST")],
    )
    relay_once()
    user.profile.refresh_from_db()
    assert user.profile.patient.identifiers.filter(value=survivor_mrn).exists()
    assert Order.objects.get(pk=order.pk).patient_id in own_patient_ids(user)
    assert Order.objects.restrict(user).filter(pk=order.pk).exists()


def test_cli_invite_and_clear_error_for_unknown_patient():
    patient = make_patient()
    out = StringIO()
    call_command("accounts", "invite", "--patient", patient.identifiers.first().value,
                 "--authority", "TEST", stdout=out)
    assert "queued to" in out.getvalue()
    with pytest.raises(CommandError, match="no patient has identifier 'NOPE'"):
        call_command("accounts", "invite", "--patient", "NOPE")
