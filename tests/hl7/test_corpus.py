"""Every public message of ../shared/corpus/hl7 is answered, and applied where it should be."""

from datetime import date

import pytest

from radbridge.clinical.models import Appointment, Document, Order, Patient, ReportVersion
from radbridge.hl7.ingest import Received, ingest_batch
from radbridge.hl7.models import InboundMessage
from tests.conftest import CORPUS, corpus_files

# Messages a radiology hub cannot apply, each with the reason the ACK must give.
NOT_APPLIED = {
    "medplum__ACK_nonstandard_field_separator.hl7": ("AR", "does not accept ACK"),
    "dcm4che__SIU_S12-NewAppointmentBooking.hl7": ("AE", "no SCH segment"),
    "msfhirconv__ORM-O01-04.hl7": ("AE", "has no OBR"),
    "npm-simple-hl7__oru-imm.hl7": ("CE", "OBR-18"),
    "dcm4che__ORU_R01-PDF.hl7": ("AE", "not valid BASE64"),
}


def ingest_file(name: str):
    raw = (CORPUS / name).read_bytes()
    return ingest_batch([Received(raw=raw, channel="file", peer=name)])[0]


@pytest.mark.django_db
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_message_is_acknowledged_and_journaled(path):
    outcome = ingest_file(path.name)
    row = InboundMessage.objects.get(id=outcome.journal_id)
    assert bytes(row.raw) == path.read_bytes()
    if path.name in NOT_APPLIED:
        code, reason = NOT_APPLIED[path.name]
        assert outcome.ack_code == code
        assert reason in row.error
    else:
        assert outcome.ack_code in ("AA", "CA"), row.error
        assert row.status == "applied"
    assert f"MSA|{outcome.ack_code}|" in outcome.ack.replace("_", "|")


@pytest.mark.django_db
def test_omi_order_keeps_accession_study_uid_and_utf8_name():
    ingest_file("dcm4che__OMI_O23-ImagingOrder.hl7")
    order = Order.objects.get()
    assert order.study_instance_uid
    assert order.patient.identifiers.get().value == "PID_1"
    assert order.patient.family_name == "Smith"


@pytest.mark.django_db
def test_ihe_orm_reads_accession_from_obr18_and_stat_priority():
    ingest_file("dcm4che-2021__ORM_O01.hl7")
    order = Order.objects.get()
    assert order.accession_number == "MOF5026"
    assert order.placer_order_number == "A103Z"
    assert order.filler_order_number == "B103Z"
    assert order.modality == "MR"
    assert order.priority == "stat"
    assert order.study_instance_uid == "1.113654.3.13.1026"
    assert order.ordering_practitioner.family_name == "ESTRADA"


@pytest.mark.django_db
def test_two_order_groups_place_two_orders():
    ingest_file("msfhirconv__ORM-O01-03.hl7")
    assert set(Order.objects.values_list("procedure_text", flat=True)) == {"CT Head", "MR Brain"}


@pytest.mark.django_db
def test_radiology_report_text_lines_become_one_final_report():
    ingest_file("dcm4che-2021__ORU_R01.hl7")
    version = ReportVersion.objects.get()
    assert version.status == "final"
    assert "The right kidney is slightly enlarged" in version.text
    assert version.report.order.accession_number == "ACC1"
    assert version.report.order.status == "final"


@pytest.mark.django_db
def test_cda_report_keeps_rendering_and_yields_text():
    ingest_file("dcm4che__ORU_R01-CDA.hl7")
    version = ReportVersion.objects.get()
    assert version.rendering_type.endswith("xml")
    assert bytes(version.rendering).lstrip().startswith(b"<")
    assert len(version.text) > 50


@pytest.mark.django_db
def test_merge_moves_orders_to_the_surviving_patient():
    ingest_file("dcm4che-2021__ORM_O01.hl7")  # order for 583295^^^ADT1
    merge = (CORPUS / "dcm4che__ADT_A40-PatientMerge.hl7").read_bytes()
    prior = merge.split(b"MRG|")[1].split(b"^")[0]
    merged_text = merge.replace(prior + b"^^^ADT1", b"583295^^^ADT1")
    ingest_batch([Received(raw=merged_text, channel="file", peer="merge")])
    order = Order.objects.get()
    survivor = Patient.objects.get(merged_into__isnull=True, orders=order)
    assert Patient.objects.filter(merged_into=survivor).count() == 1
    assert order.patient == survivor


@pytest.mark.django_db
def test_patient_identifier_change_renames_the_identifier():
    ingest_file("dcm4che-2021__ORM_O01.hl7")
    change = (CORPUS / "dcm4che__ADT_A47-ChangePatientID.hl7").read_bytes()
    change = change.replace(b"OLD_PID_1^^^ADT1", b"583295^^^ADT1")
    outcome = ingest_batch([Received(raw=change, channel="file", peer="a47")])[0]
    assert outcome.ack_code == "AA"
    order = Order.objects.get()
    assert list(order.patient.identifiers.values_list("value", flat=True)) == ["NEW_PID_1"]


@pytest.mark.django_db
def test_appointment_booked_then_cancelled():
    ingest_file("msfhirconv__SIU-S12-02.hl7")
    booked = Appointment.objects.get()
    assert booked.status == "booked"
    assert booked.duration_minutes == 70
    ingest_file("msfhirconv__SIU-S15-02.hl7")
    booked.refresh_from_db()
    assert booked.status == "cancelled"


@pytest.mark.django_db
def test_siu_with_hex_escapes_decodes_portuguese_service_name():
    ingest_file("dcm4che-2021__SIU_S12.hl7")
    assert "OPERAÇÃO" in Appointment.objects.get().service_text


@pytest.mark.django_db
def test_mdm_document_with_formatted_text_is_attached():
    ingest_file("v2tofhir-ig__MDM_T02.hl7")
    document = Document.objects.get()
    assert "Critical Values Entered On" in document.text
    assert "\\.br\\" not in document.text
    row = InboundMessage.objects.get()
    assert "attachment skipped" in row.warnings


@pytest.mark.django_db
def test_epic_adt_with_lf_endings_registers_patient():
    outcome = ingest_file("medplum__ADT_A04_epic_lf.hl7")
    assert outcome.ack_code == "AA"
    patient = Patient.objects.get()
    assert (patient.family_name, patient.given_name) == ("DOE", "JOHN")
    assert patient.birth_date == date(1948, 2, 3)
    assert patient.address_city == "MYTOWN"


@pytest.mark.django_db
def test_ack_for_underscore_separator_uses_the_senders_separator():
    outcome = ingest_file("medplum__ACK_nonstandard_field_separator.hl7")
    assert outcome.ack.startswith("MSH_")
    assert "MSA_AR_" in outcome.ack
