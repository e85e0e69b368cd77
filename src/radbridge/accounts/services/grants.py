"""Proxy access and consent: granted by the patient online or recorded by staff, always with
an end, revocable, and audited with who did it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from radbridge.clinical.models import Patient
from radbridge.core import audit

from ..choices import ConsentSource, ProxyRelationship, Role
from ..models import Consent, ProxyGrant
from ..permissions import may_act_for_patient, may_record_consent, role_of
from .errors import AccountsError

MAX_CONSENT_DAYS = 730


def check_end(expires_at: datetime | None, required: bool) -> None:
    if expires_at is None:
        if required:
            raise AccountsError("consent must have an end date", "expires_at")
        return
    if expires_at <= timezone.now():
        raise AccountsError("the end date must be in the future", "expires_at")
    if required and expires_at > timezone.now() + timedelta(days=MAX_CONSENT_DAYS):
        raise AccountsError(f"consent can last at most {MAX_CONSENT_DAYS} days", "expires_at")


@transaction.atomic
def grant_consent(
    actor, patient: Patient, physician: User, expires_at: datetime, note: str = ""
) -> Consent:
    """The patient (or a proxy) grants consent online, or staff record it. Audited as
    consent.granted."""
    if may_act_for_patient(actor, patient):
        source = ConsentSource.PATIENT_ONLINE
    elif may_record_consent(actor, patient):
        source = ConsentSource.RECORDED_BY_STAFF
    else:
        raise AccountsError("you may not grant consent for this patient", "patient")
    if role_of(physician) != Role.PHYSICIAN:
        raise AccountsError(f"{physician} is not a referring physician", "physician")
    check_end(expires_at, required=True)
    consent = Consent.objects.create(
        patient=patient, physician=physician, source=source, expires_at=expires_at,
        granted_by=actor, note=note,
    )
    audit.record(
        "consent.granted", "consent", consent.pk, patient_id=patient.pk,
        physician=physician.get_username(), source=source, expires_at=expires_at.isoformat(),
    )
    return consent


@transaction.atomic
def revoke_consent(actor, consent: Consent) -> None:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if not (
        may_act_for_patient(actor, consent.patient) or may_record_consent(actor, consent.patient)
    ):
        raise AccountsError("you may not revoke this consent", "consent")
    if consent.revoked_at is None:
        consent.revoked_at, consent.revoked_by = timezone.now(), actor
        consent.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit.record("consent.revoked", "consent", consent.pk, patient_id=consent.patient_id)


@transaction.atomic
def grant_proxy(
    actor, patient: Patient, proxy: User, relationship: str, expires_at: datetime | None = None
) -> ProxyGrant:
    """A parent or carer gets access to a patient's records. Granted by the patient (or an
    existing proxy) online, or by staff who checked the proxy's identity. Audited."""
    if not (may_act_for_patient(actor, patient) or may_record_consent(actor, patient)):
        raise AccountsError("you may not grant access to this patient's records", "patient")
    if role_of(proxy) != Role.PATIENT:
        raise AccountsError(
            "a proxy needs a patient-portal account of their own: invite them first", "proxy"
        )
    if proxy.pk == actor.pk:
        raise AccountsError("you already have access to your own records", "proxy")
    if relationship not in ProxyRelationship.values:
        raise AccountsError(f"unknown relationship {relationship!r}", "relationship")
    check_end(expires_at, required=False)
    grant = ProxyGrant.objects.create(
        patient=patient, proxy=proxy, relationship=relationship, expires_at=expires_at,
        granted_by=actor,
    )
    audit.record(
        "proxy.granted", "proxy_grant", grant.pk, patient_id=patient.pk,
        proxy=proxy.get_username(), relationship=relationship,
    )
    return grant


@transaction.atomic
def revoke_proxy(actor, grant: ProxyGrant) -> None:
    grant = ProxyGrant.objects.select_for_update().get(pk=grant.pk)
    allowed = (
        may_act_for_patient(actor, grant.patient)
        or may_record_consent(actor, grant.patient)
        or grant.proxy_id == actor.pk  # a proxy may give up their own access
    )
    if not allowed:
        raise AccountsError("you may not revoke this access", "grant")
    if grant.revoked_at is None:
        grant.revoked_at, grant.revoked_by = timezone.now(), actor
        grant.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit.record("proxy.revoked", "proxy_grant", grant.pk, patient_id=grant.patient_id)
