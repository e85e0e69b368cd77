"""Share codes, consent and proxies through the services: limits, expiry, revocation, audit."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from radbridge.accounts.models import ShareCode
from radbridge.accounts.services import grants, shares
from radbridge.accounts.services.errors import AccountsError
from radbridge.clinical.models import Order
from radbridge.core.models import AuditEntry
from tests.personas import (
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_staff,
)

pytestmark = pytest.mark.django_db
DOB = date(1980, 5, 17)


def in_days(days):
    return timezone.now() + timedelta(days=days)


@pytest.fixture
def alice():
    patient = make_patient(birth_date=DOB)
    return make_patient_user(patient), make_order(patient, report_text="r")


def test_expired_share_code_fails(alice):
    user, order = alice
    share, code = shares.create_share(user, order, in_days(1))
    ShareCode.objects.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(1))
    with pytest.raises(AccountsError, match="do not open"):
        shares.open_share(code, DOB)


def test_wrong_birth_date_fails_and_five_misses_close_the_share(alice):
    user, order = alice
    _, code = shares.create_share(user, order, in_days(1))
    for _ in range(5):
        with pytest.raises(AccountsError):
            shares.open_share(code, date(1980, 5, 18))
    with pytest.raises(AccountsError):
        shares.open_share(code, DOB)
    assert AuditEntry.objects.filter(action="share.open_failed").count() == 6


def test_revoked_share_and_view_limit(alice):
    user, order = alice
    share, code = shares.create_share(user, order, in_days(1), max_views=1)
    opened = shares.open_share(code.lower().replace("-", " "), DOB)  # typed loosely
    shares.record_share_view(opened)
    with pytest.raises(AccountsError):
        shares.record_share_view(opened)
    other, other_code = shares.create_share(user, order, in_days(1))
    shares.revoke_share(user, other)
    with pytest.raises(AccountsError):
        shares.open_share(other_code, DOB)


def test_share_code_is_stored_hashed_and_views_are_audited(alice):
    user, order = alice
    share, code = shares.create_share(user, order, in_days(1))
    assert code.replace("-", "") not in share.code_hash
    shares.record_share_view(shares.open_share(code, DOB))
    read = AuditEntry.objects.get(action="read.share")
    assert read.patient_id == order.patient_id and read.detail["share_code"] == share.pk


def test_patient_cannot_share_someone_elses_study_or_for_too_long(alice):
    user, _ = alice
    with pytest.raises(AccountsError, match="only share your own"):
        shares.create_share(user, make_order(), in_days(1))
    with pytest.raises(AccountsError, match="at most"):
        shares.create_share(user, alice[1], in_days(400))


def test_consent_needs_an_end_and_a_physician(alice):
    user, order = alice
    doctor = make_physician()
    with pytest.raises(AccountsError, match="end date"):
        grants.grant_consent(user, order.patient, doctor, None)
    with pytest.raises(AccountsError, match="not a referring physician"):
        grants.grant_consent(user, order.patient, make_staff(), in_days(5))
    consent = grants.grant_consent(user, order.patient, doctor, in_days(5))
    assert Order.objects.restrict(doctor).filter(pk=order.pk).exists()
    grants.revoke_consent(user, consent)
    assert not Order.objects.restrict(doctor).filter(pk=order.pk).exists()
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="consent.")] == [
        "consent.granted", "consent.revoked",
    ]


def test_staff_record_consent_only_at_their_sites(alice):
    user, order = alice
    doctor = make_physician()
    with pytest.raises(AccountsError, match="may not grant consent"):
        grants.grant_consent(make_staff(), order.patient, doctor, in_days(5))
    consent = grants.grant_consent(make_staff(all_sites=True), order.patient, doctor, in_days(5))
    assert consent.source == "staff"


def test_another_patient_cannot_grant_consent_for_me(alice):
    _, order = alice
    with pytest.raises(AccountsError):
        grants.grant_consent(make_patient_user(), order.patient, make_physician(), in_days(5))


def test_proxy_granted_by_patient_sees_then_loses_access(alice):
    user, order = alice
    parent = make_patient_user()
    grant = grants.grant_proxy(user, order.patient, parent, "parent")
    assert Order.objects.restrict(parent).filter(pk=order.pk).exists()
    grants.revoke_proxy(parent, grant)  # a proxy may give up their access
    assert not Order.objects.restrict(parent).filter(pk=order.pk).exists()


def test_proxy_must_have_a_patient_account(alice):
    user, order = alice
    with pytest.raises(AccountsError, match="patient-portal account"):
        grants.grant_proxy(user, order.patient, make_physician(), "carer")
