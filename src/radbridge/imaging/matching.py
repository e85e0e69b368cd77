"""Match received studies to their orders, and let a person settle what no rule could.

Rules, in order: the Accession Number names an order (and the images' patient ID is one of
that order's patient's identifiers); else the patient identifier finds the patient, who has
exactly one order of that modality on the study date. The rule that matched is recorded.
Anything else waits in reconciliation, visible to staff only, until someone links it to an
order or rejects it; every link is audited. Later orders and ADT merges are followed through
outbox events, so a study that arrived before its order still finds it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from radbridge.clinical.choices import OrderStatus
from radbridge.clinical.data import IdentifierData
from radbridge.clinical.models import Order
from radbridge.clinical.services import find_patient
from radbridge.core import audit

from .choices import MatchRule, Reconciliation
from .models import Study

# What matching decides; saved alone, so counters updated beside it are never overwritten.
MATCH_FIELDS = [
    "order", "patient", "match_rule", "reconciliation", "candidate_order",
    "reconciliation_note", "updated_at",
]


class ReconciliationError(ValueError):
    """A link or rejection that cannot be done; the message says what to do instead."""


def patient_agrees(study: Study, order: Order) -> bool:
    if not study.patient_identifier:
        return True  # nothing to disagree with
    return order.patient.identifiers.filter(value=study.patient_identifier).exists()


def orders_by_patient_date_modality(study: Study) -> list[Order]:
    if not (study.patient_identifier and study.study_date and study.modality_list):
        return []
    patient = find_patient(
        [IdentifierData(study.patient_identifier, study.issuer_of_patient_identifier)]
    )
    if patient is None:
        return []
    on_the_day = Q(scheduled_at__date=study.study_date) | Q(
        scheduled_at__isnull=True, created_at__date=study.study_date
    )
    return list(
        Order.objects.filter(patient=patient, modality__in=study.modality_list)
        .filter(on_the_day)
        .exclude(status=OrderStatus.CANCELLED)[:2]
    )


def match_study(study: Study) -> None:
    """Apply the rules to a study that is not linked yet; saves the outcome."""
    order = None
    if study.accession_number:
        order = (
            Order.objects.select_related("patient")
            .filter(accession_number=study.accession_number)
            .first()
        )
    if order is not None:
        if patient_agrees(study, order):
            link(study, order, MatchRule.ACCESSION)
        else:
            study.reconciliation = Reconciliation.MISMATCH
            study.candidate_order = order
            study.reconciliation_note = (
                f"accession {order.accession_number} is an order of another patient: the "
                f"images name patient ID {study.patient_identifier!r}"
            )
    else:
        candidates = orders_by_patient_date_modality(study)
        if len(candidates) == 1:
            link(study, candidates[0], MatchRule.PATIENT_DATE_MODALITY)
        else:
            study.reconciliation = Reconciliation.UNMATCHED
            study.reconciliation_note = (
                f"no order has accession {study.accession_number!r}"
                + (
                    f" and patient {study.patient_identifier!r} has "
                    f"{'several' if candidates else 'no'} {study.modalities or '?'} orders "
                    f"on {study.study_date or 'the study date'}"
                )
            )[:500]
    study.save(update_fields=MATCH_FIELDS)


def link(study: Study, order: Order, rule: str) -> None:
    study.order = order
    study.patient_id = order.patient_id
    study.match_rule = rule
    study.reconciliation = Reconciliation.MATCHED
    study.candidate_order = None
    study.reconciliation_note = ""


def awaiting_reconciliation():
    return Study.objects.filter(
        reconciliation__in=[Reconciliation.UNMATCHED, Reconciliation.MISMATCH]
    ).order_by("-created_at")


def find_study(study_instance_uid: str, user=None) -> Study:
    """The study, locked. With a user (a page, not the operator's CLI): only one awaiting a
    decision (it belongs to no one yet) or one of an order or patient they may change, so
    staff cannot move another site's images; the refusal reads like "unknown"."""
    study = Study.objects.select_for_update().filter(study_instance_uid=study_instance_uid).first()
    if study is not None and user is not None and not (
        awaiting_reconciliation().filter(pk=study.pk).exists()
        or Study.objects.restrict(user, "change").filter(pk=study.pk).exists()
    ):
        study = None
    if study is None:
        raise ReconciliationError(f"no study has Study Instance UID {study_instance_uid!r}")
    return study


@transaction.atomic
def link_study(
    study_instance_uid: str, accession_number: str, reason: str = "", user=None
) -> Study:
    """A person links a study to an order (and so its patient). Audited; locks the study.
    With `user`, only to an order that user may change (their sites)."""
    study = find_study(study_instance_uid, user)
    orders = Order.objects.all() if user is None else Order.objects.restrict(user, "change")
    order = orders.filter(accession_number=accession_number).first()
    if order is None:
        raise ReconciliationError(
            f"no order has accession number {accession_number!r}: check the number, or "
            "wait until the RIS has sent the order"
        )
    previous = study.order_id
    link(study, order, MatchRule.MANUAL)
    study.reconciliation_note = reason[:500]
    study.save(update_fields=MATCH_FIELDS)
    audit.record(
        "imaging.study.linked", "study", study.id, patient_id=order.patient_id,
        accession_number=accession_number, previous_order_id=previous, reason=reason,
    )
    return study


@transaction.atomic
def reject_study(study_instance_uid: str, reason: str, user=None) -> Study:
    """A person rejects a study: it stays stored but belongs to no one. Audited. With
    `user`, only a study awaiting a decision or one they may change."""
    if not reason.strip():
        raise ReconciliationError("say why the study is rejected (--reason)")
    study = find_study(study_instance_uid, user)
    previous_patient = study.patient_id
    study.order = study.patient = study.candidate_order = None
    study.match_rule = ""
    study.reconciliation = Reconciliation.REJECTED
    study.reconciliation_note = reason[:500]
    study.save(update_fields=MATCH_FIELDS)
    audit.record(
        "imaging.study.rejected", "study", study.id, patient_id=previous_patient, reason=reason
    )
    return study


def follow_patient_merge(event) -> None:
    """Outbox consumer of patient.merged: the survivor takes the merged patient's studies."""
    survivor = int(event.aggregate_id)
    merged = event.payload.get("merged_patient_id")
    moved = list(Study.objects.filter(patient_id=merged).values_list("id", flat=True))
    if moved:
        Study.objects.filter(id__in=moved).update(patient_id=survivor)
        audit.record(
            "imaging.studies.merged", "patient", survivor, patient_id=survivor,
            merged_patient_id=merged, study_ids=moved,
        )


def rematch_for_order(event) -> None:
    """Outbox consumer of order.placed/updated: studies that waited for it now match."""
    order = Order.objects.filter(pk=int(event.aggregate_id)).first()
    if order is None:
        return
    identifiers = list(order.patient.identifiers.values_list("value", flat=True))
    waiting = Study.objects.select_for_update().filter(
        Q(accession_number=order.accession_number) | Q(patient_identifier__in=identifiers),
        reconciliation=Reconciliation.UNMATCHED,
    )
    for study in waiting:
        match_study(study)
        if study.reconciliation == Reconciliation.MATCHED:
            audit.record(
                "imaging.study.matched", "study", study.id, patient_id=study.patient_id,
                rule=study.match_rule, accession_number=order.accession_number,
            )
