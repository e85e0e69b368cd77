"""Matching studies to orders, reconciliation by staff, and ADT merges moving studies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from radbridge.clinical.data import IdentifierData, PatientData
from radbridge.clinical.services import merge_patients
from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.imaging.choices import MatchRule, Reconciliation
from radbridge.imaging.matching import ReconciliationError, link_study, reject_study
from radbridge.imaging.models import Study

from .helpers import order_for, receive


def test_accession_number_matches_the_order_and_its_patient(actor, db):
    order = order_for("ACC1", "MRN1")
    receive("1.2.1", accession="ACC1", patient_id="MRN1")
    study = Study.objects.get()
    assert (study.order, study.patient, study.match_rule, study.reconciliation) == (
        order, order.patient, MatchRule.ACCESSION, Reconciliation.MATCHED)


def test_patient_date_and_modality_match_when_the_accession_is_missing(actor, db):
    order_for("OTHER", "MRN2", modality="MR")
    order = order_for("ACC2", "MRN2", modality="CT")
    receive("1.2.2", accession="", patient_id="MRN2", modality="CT")
    study = Study.objects.get()
    assert study.order == order and study.match_rule == MatchRule.PATIENT_DATE_MODALITY


def test_patient_with_two_candidate_orders_goes_to_reconciliation(actor, db):
    order_for("ACC3", "MRN3")
    order_for("ACC4", "MRN3")
    receive("1.2.3", patient_id="MRN3")
    study = Study.objects.get()
    assert study.reconciliation == Reconciliation.UNMATCHED and study.order is None
    assert "several" in study.reconciliation_note


def test_study_with_no_order_lands_in_reconciliation_unlinked(actor, db):
    receive("1.2.4", accession="NOPE", patient_id="MRN9")
    study = Study.objects.get()
    assert (study.reconciliation, study.order, study.patient) == (
        Reconciliation.UNMATCHED, None, None)


def test_accession_of_another_patients_order_is_a_mismatch(actor, db):
    order = order_for("ACC5", "MRN5")
    receive("1.2.5", accession="ACC5", patient_id="SOMEONE-ELSE")
    study = Study.objects.get()
    assert study.reconciliation == Reconciliation.MISMATCH and study.patient is None
    assert study.candidate_order == order and "SOMEONE-ELSE" in study.reconciliation_note


def test_staff_link_is_audited_and_makes_the_study_the_orders(actor, db):
    order = order_for("ACC6", "MRN6")
    receive("1.2.6", accession="TYPO6", patient_id="MRN6", study_date="19990101")
    study = link_study("1.2.6", "ACC6", reason="typo at the modality")
    assert (study.order, study.patient, study.match_rule) == (
        order, order.patient, MatchRule.MANUAL)
    entry = AuditEntry.objects.get(action="imaging.study.linked")
    assert entry.patient_id == order.patient_id and entry.actor == "test:runner"
    assert entry.detail["reason"] == "typo at the modality"


def test_link_to_an_unknown_accession_says_what_to_do(actor, db):
    receive("1.2.7")
    with pytest.raises(ReconciliationError, match="no order has accession number 'X'"):
        link_study("1.2.7", "X")


def test_rejected_study_belongs_to_no_one_and_is_audited(actor, db):
    order_for("ACC8", "MRN8")
    receive("1.2.8", accession="ACC8", patient_id="MRN8")
    study = reject_study("1.2.8", reason="test images from the service engineer")
    assert (study.reconciliation, study.order, study.patient) == (
        Reconciliation.REJECTED, None, None)
    assert AuditEntry.objects.filter(action="imaging.study.rejected").count() == 1


def test_order_arriving_after_its_images_links_them(actor, db):
    receive("1.2.9", accession="LATE9", patient_id="MRN9")
    order = order_for("LATE9", "MRN9")
    outbox.relay_once()
    study = Study.objects.get()
    assert study.order == order and study.match_rule == MatchRule.ACCESSION


def test_adt_merge_moves_studies_to_the_surviving_patient(actor, db):
    old = order_for("ACC10", "OLD10", family="Old")
    receive("1.2.10", accession="ACC10", patient_id="OLD10")
    survivor = merge_patients(
        PatientData(identifiers=[IdentifierData("NEW10", "DEMO", "MR")], family_name="New"),
        [IdentifierData("OLD10", "DEMO")],
    )
    assert survivor.id != old.patient_id
    outbox.relay_once()
    assert Study.objects.get().patient_id == survivor.id


def test_patient_date_match_ignores_orders_of_other_days(actor, db):
    order_for("ACC11", "MRN11", scheduled=timezone.now() - timedelta(days=3))
    receive("1.2.11", patient_id="MRN11")
    assert Study.objects.get().reconciliation == Reconciliation.UNMATCHED
