"""Outbox consumers: follow ADT merges."""

from __future__ import annotations

from radbridge.clinical.models import Patient
from radbridge.core import audit
from radbridge.core.models import OutboxEvent

from ..choices import Role
from ..models import Consent, Invitation, Profile, ProxyGrant, ShareCode


def follow_merge(event: OutboxEvent) -> None:
    """patient.merged: accounts, proxies, consents and shares of the merged record now point
    at the survivor (the rules also follow Patient.merged_into, so nothing is lost meanwhile)."""
    merged_id = event.payload.get("merged_patient_id")
    survivor = Patient.objects.filter(pk=event.payload.get("patient_id")).first()
    if merged_id is None or survivor is None:
        return
    moved = {}
    for model in (ProxyGrant, Consent, ShareCode, Invitation):
        moved[model.__name__] = model.objects.filter(patient_id=merged_id).update(
            patient=survivor
        )
    if not Profile.objects.filter(role=Role.PATIENT, patient=survivor).exists():
        moved["Profile"] = Profile.objects.filter(patient_id=merged_id).update(patient=survivor)
    audit.record(
        "accounts.merge_followed", "patient", survivor.pk, patient_id=survivor.pk,
        merged_patient_id=merged_id, **moved,
    )
