"""Outbox consumers: invite a patient when their report is final, follow ADT merges."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from radbridge.clinical.models import Order, Patient
from radbridge.core import audit
from radbridge.core.models import OutboxEvent

from ..choices import InvitationSource, Role
from ..models import Consent, Invitation, Profile, ProxyGrant, ShareCode
from .errors import AccountsError
from .invitations import has_account, invite_patient


def invite_on_report(event: OutboxEvent) -> None:
    """report.finalized: invite the patient if they have no account and no open invitation.

    Idempotent: the invitation is keyed by the event (unique), so a second delivery of the
    same event changes nothing."""
    order = (
        Order.objects.select_related("patient")
        .filter(accession_number=event.payload.get("accession_number", ""))
        .first()
    )
    if order is None or has_account(order.patient):
        return
    if Invitation.objects.filter(patient=order.patient, accepted_at__isnull=True).exists():
        return  # an earlier invitation is still open: one invitation link is enough
    try:
        with transaction.atomic():
            invite_patient(
                order.patient, order, source=InvitationSource.REPORT_FINALIZED,
                source_event_id=event.pk,
            )
    except IntegrityError:
        return  # this event already produced its invitation
    except AccountsError as error:
        audit.record(
            "accounts.invitation_skipped", "order", order.pk, patient_id=order.patient_id,
            outcome="skipped", reason=str(error),
        )


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
