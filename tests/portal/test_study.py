"""The study page and its report exports, as patients, physicians and staff use them."""

import io
from datetime import UTC, datetime

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message as hl7apy_parse
from pypdf import PdfReader

from radbridge.accounts.choices import Role
from radbridge.accounts.models import Consent
from radbridge.clinical.models import Report, ReportVersion
from radbridge.core.models import AuditEntry
from radbridge.hl7.handlers import reports as oru
from radbridge.hl7.wire import parse_message
from radbridge.imaging.models import Series, Study
from tests.personas import (
    make_order,
    make_patient_user,
    make_physician,
    make_practitioner,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db

TRICKY = "Findings: 3|4 mm nodule ^ left & right ~ stable \\ unchanged.\n\nIMPRESSION: Benign."


def add_version(order, number, status, text):
    report, _ = Report.objects.get_or_create(order=order, defaults={"status": status})
    report.status = status
    report.save()
    return ReportVersion.objects.create(
        report=report, number=number, status=status, text=text,
        radiologist=make_practitioner(), signed_at=datetime(2026, 4, number, 8, 0, tzinfo=UTC))


@pytest.fixture
def physician():
    return make_physician()


@pytest.fixture
def order(physician):
    order = make_order(practitioner=physician.profile.practitioner)
    add_version(order, 1, "final", "Impression: a small nodule in the left lung.")
    add_version(order, 2, "corrected", TRICKY)
    return order


def test_patient_sees_state_report_and_glossary_of_their_report(client, order):
    sign_in(client, make_patient_user(order.patient))
    page = client.get(f"/studies/{order.pk}/").content.decode()
    assert 'aria-current="step">Report ready' in page
    assert "Corrected report" in page and "it replaces an earlier version" in page
    assert "Earlier versions (1)" in page and "a small nodule in the left lung" in page
    assert "Words in your report" in page
    assert "Benign" in page and "Not cancer" in page  # "benign" is in the report
    assert "Not fully inflated" not in page  # atelectasis is not
    assert "Export HL7" not in page and "Download PDF" in page


def test_scheduled_study_says_so_and_has_no_report(client, physician):
    order = make_order(practitioner=physician.profile.practitioner)
    sign_in(client, physician)
    page = client.get(f"/studies/{order.pk}/").content.decode()
    assert 'aria-current="step">Scheduled' in page and "No report yet." in page
    assert client.get(f"/studies/{order.pk}/report.pdf").status_code == 404


def test_series_thumbnails_come_from_the_imaging_index(client, order, physician):
    study = Study.objects.create(study_instance_uid="1.2.3", order=order, patient=order.patient,
                                 availability="available")
    Series.objects.create(study=study, series_instance_uid="1.2.3.4", modality="CT",
                          series_number=2, series_description="Axial lung")
    sign_in(client, physician)
    page = client.get(f"/studies/{order.pk}/").content.decode()
    series = Series.objects.get(series_instance_uid="1.2.3.4")
    assert f"/studies/{order.pk}/images/series/{series.pk}/thumbnail/" in page
    assert "Axial lung" in page


def test_physician_exports_the_report_as_oru_that_parses_back(client, order, physician):
    sign_in(client, physician)
    response = client.get(f"/studies/{order.pk}/report.hl7")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hl7-v2")
    assert f"report-{order.accession_number}-v2.hl7" in response["Content-Disposition"]
    raw = response.content.decode("utf-8")
    assert "3\\F\\4 mm" in raw and "\\.br\\\\.br\\IMPRESSION" in raw  # escaped on the wire
    message = parse_message(raw)
    assert message.message_type.startswith("ORU^R01")
    (command,) = oru.extract(message)
    assert command.order.accession_number == order.accession_number
    assert command.report.status == "corrected"
    assert command.report.text == TRICKY
    version = order.report.versions.get(number=2)
    assert command.report.radiologist.family_name == version.radiologist.family_name
    obr = message.segment("OBR")
    assert obr.value(18) == order.accession_number and obr.value(25) == "C"
    assert [(s.value(2), s.value(11)) for s in message.segments_named("OBX")] == [("FT", "C")]


def test_exported_oru_is_valid_hl7_2_5_1_for_an_independent_parser(client, order, physician):
    sign_in(client, physician)
    text = client.get(f"/studies/{order.pk}/report.hl7").content.decode()
    message = hl7apy_parse(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert message.validate()
    observation = message.ORU_R01_PATIENT_RESULT.ORU_R01_ORDER_OBSERVATION
    assert observation.OBR.obr_18.value == order.accession_number
    assert observation.OBR.obr_25.value == "C"


def test_earlier_version_exports_on_request(client, order, physician):
    sign_in(client, physician)
    message = parse_message(client.get(f"/studies/{order.pk}/report.hl7?version=1")
                            .content.decode())
    assert oru.extract(message)[0].report.status == "final"
    assert client.get(f"/studies/{order.pk}/report.hl7?version=9").status_code == 404


def test_pdf_export_is_the_report_and_an_audited_disclosure(client, order, physician):
    sign_in(client, physician)
    response = client.get(f"/studies/{order.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Corrected report" in text and order.accession_number in text
    entry = AuditEntry.objects.get(action="read.export.pdf")
    assert entry.patient_id == order.patient_id and entry.detail["disclosure"] is True
    client.get(f"/studies/{order.pk}/report.hl7")
    assert AuditEntry.objects.filter(action="read.export.hl7", patient_id=order.patient_id)


@pytest.mark.parametrize("suffix", ["", "report.pdf", "report.hl7"])
def test_nobody_else_sees_or_exports_the_study(client, order, suffix):
    other_physician, other_patient = make_physician(), make_patient_user()
    for user in (other_physician, other_patient):
        client.logout()
        sign_in(client, user)
        assert client.get(f"/studies/{order.pk}/{suffix}").status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="read.export")


def test_patient_gets_the_pdf_but_not_the_hl7_file(client, order):
    sign_in(client, make_patient_user(order.patient))
    assert client.get(f"/studies/{order.pk}/report.pdf").status_code == 200
    assert client.get(f"/studies/{order.pk}/report.hl7").status_code == 404


def test_consented_physician_and_site_staff_export_too(client, order):
    colleague = make_physician()
    Consent.objects.create(patient=order.patient, physician=colleague, source="staff")
    for user in (colleague, make_staff(Role.RADIOLOGIST, all_sites=True)):
        client.logout()
        sign_in(client, user)
        assert client.get(f"/studies/{order.pk}/report.hl7").status_code == 200


def test_anonymous_visitor_is_sent_to_sign_in(client, order):
    response = client.get(f"/studies/{order.pk}/report.pdf")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_images_in_without_report_says_images_ready(client, physician):
    order = make_order(practitioner=physician.profile.practitioner)
    Study.objects.create(study_instance_uid="1.9", order=order, patient=order.patient,
                         availability="available")
    sign_in(client, physician)
    page = client.get(f"/studies/{order.pk}/").content.decode()
    assert 'aria-current="step">Images ready' in page
    assert "The images are in; the radiologist" in page


def test_preliminary_report_says_a_final_one_follows_and_physicians_get_no_glossary(
        client, physician):
    order = make_order(practitioner=physician.profile.practitioner)
    add_version(order, 1, "preliminary", "Impression: benign cyst.")
    sign_in(client, physician)
    page = client.get(f"/studies/{order.pk}/").content.decode()
    assert "Preliminary report" in page and "A final report will follow." in page
    assert "Words in your report" not in page


def test_study_page_queries_do_not_grow_with_series(client, order, physician,
                                                    django_assert_max_num_queries):
    study = Study.objects.create(study_instance_uid="1.7", order=order, patient=order.patient)
    sign_in(client, physician)
    Series.objects.create(study=study, series_instance_uid="1.7.1", modality="CT")
    with django_assert_max_num_queries(40) as few:
        client.get(f"/studies/{order.pk}/")
    for number in range(2, 12):
        Series.objects.create(study=study, series_instance_uid=f"1.7.{number}", modality="CT")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/studies/{order.pk}/")
