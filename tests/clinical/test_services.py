"""Clinical verbs: what they store, what they announce, and the rules they keep."""

from datetime import date

import pytest

from radbridge.clinical import services
from radbridge.clinical.data import IdentifierData, OrderData, PatientData, ReportData
from radbridge.clinical.errors import ClinicalRuleError
from radbridge.clinical.models import Order, Patient, ReportVersion
from radbridge.core.audit import NoActorError
from radbridge.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


def jane(mrn="MRN1", **fields) -> PatientData:
    return PatientData(
        identifiers=[IdentifierData(mrn, "MERCY", "MR")],
        family_name="Doe",
        given_name="Jane",
        birth_date=date(1964, 3, 12),
        **fields,
    )


def chest_ct(accession="ACC1", patient=None, **fields) -> OrderData:
    return OrderData(
        accession_number=accession,
        patient=patient or jane(),
        procedure_code="CTCHEST",
        procedure_text="CT chest",
        **fields,
    )


def topics() -> list[str]:
    return list(OutboxEvent.objects.order_by("id").values_list("topic", flat=True))


def test_a_change_without_an_actor_is_refused():
    with pytest.raises(NoActorError):
        services.register_patient(jane())
    assert not Patient.objects.exists()


def test_registering_twice_updates_and_announces_only_changes(actor):
    services.register_patient(jane())
    services.register_patient(jane())
    services.register_patient(jane(email="jane@example.org"))
    assert Patient.objects.get().email == "jane@example.org"
    assert topics() == ["patient.registered", "patient.updated"]
    assert AuditEntry.objects.filter(actor="test:runner").count() == 2


def test_empty_demographics_never_erase_known_ones(actor):
    services.register_patient(jane())
    services.register_patient(PatientData(identifiers=[IdentifierData("MRN1", "MERCY")]))
    assert Patient.objects.get().family_name == "Doe"


def test_order_without_procedure_is_refused(actor):
    with pytest.raises(ClinicalRuleError, match="names no procedure"):
        services.place_order(OrderData(accession_number="A1", patient=jane()))
    assert not Order.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_order_placed_then_cancelled_announces_each_once(actor):
    services.place_order(chest_ct(priority="stat"))
    services.cancel_order("ACC1")
    services.cancel_order("ACC1")
    assert Order.objects.get().status == "cancelled"
    assert topics() == ["patient.registered", "order.placed", "order.cancelled"]
    placed = OutboxEvent.objects.get(topic="order.placed")
    assert placed.payload["priority"] == "stat"


def test_second_final_with_new_text_is_a_correction(actor):
    services.place_order(chest_ct())
    for status, text in [("preliminary", "prelim"), ("final", "final"), ("final", "amended")]:
        services.finalize_report(ReportData("ACC1", status, text))
    statuses = list(ReportVersion.objects.order_by("number").values_list("status", flat=True))
    assert statuses == ["preliminary", "final", "corrected"]
    assert Order.objects.get().status == "corrected"
    assert topics()[-3:] == ["report.preliminary", "report.finalized", "report.corrected"]


def test_the_same_report_sent_again_is_not_a_new_version(actor):
    services.place_order(chest_ct())
    assert services.finalize_report(ReportData("ACC1", "final", "text")) is not None
    assert services.finalize_report(ReportData("ACC1", "final", "text")) is None
    assert ReportVersion.objects.count() == 1


def test_late_preliminary_is_kept_but_does_not_demote_a_final(actor):
    services.place_order(chest_ct())
    services.finalize_report(ReportData("ACC1", "final", "final text"))
    services.finalize_report(ReportData("ACC1", "preliminary", "old draft"))
    assert Order.objects.get().report.status == "final"
    assert ReportVersion.objects.count() == 2


def test_report_for_unknown_accession_creates_the_order(actor):
    services.finalize_report(ReportData("NEW1", "final", "text", order=chest_ct("NEW1")))
    assert Order.objects.get().accession_number == "NEW1"
    assert topics() == ["patient.registered", "order.placed", "report.finalized"]


def test_report_for_unknown_accession_without_patient_is_refused(actor):
    with pytest.raises(ClinicalRuleError, match="names no patient"):
        services.finalize_report(ReportData("NOPE", "final", "text"))


def test_merge_moves_orders_and_identifiers_to_the_survivor(actor):
    services.place_order(chest_ct("A1", patient=jane("OLD")))
    services.place_order(chest_ct("A2", patient=jane("KEEP")))
    survivor = services.merge_patients(jane("KEEP"), [IdentifierData("OLD", "MERCY")])
    assert set(survivor.orders.values_list("accession_number", flat=True)) == {"A1", "A2"}
    merged = Patient.objects.get(merged_into=survivor)
    assert not merged.orders.exists()
    # The old identifier now finds the survivor.
    assert services.find_patient([IdentifierData("OLD", "MERCY")]) == survivor


def test_identifier_change_refuses_to_steal_another_patients_identifier(actor):
    services.register_patient(jane("ONE"))
    services.register_patient(jane("TWO"))
    with pytest.raises(ClinicalRuleError, match="merge the patients"):
        services.change_patient_identifier(
            IdentifierData("ONE", "MERCY"), IdentifierData("TWO", "MERCY")
        )
