"""A referring physician in Chromium: opens a study, exports the report as HL7 and PDF, places
a STAT order that reaches a test RIS (a real MLLP listener) as ORM^O01, and watches its status
change in "My orders"."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from radbridge.accounts.models import Consent
from radbridge.clinical import services
from radbridge.clinical.models import Order
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.handlers import reports as oru
from radbridge.hl7.wire import parse_message
from tests.browser.signing_in import PASSWORD, sign_in_with_code
from tests.hl7.ris import deliver_to_ris
from tests.personas import make_order, make_patient, make_physician

pytestmark = pytest.mark.django_db(transaction=True)
REFERRAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_physician_exports_the_report_and_orders_online(page, ris, tmp_path):
    physician = make_physician(username="drkim", password=PASSWORD)
    order = make_order(practitioner=physician.profile.practitioner,
                       report_text="FINDINGS: 4 mm nodule | stable.\n\nIMPRESSION: Benign.")
    patient = make_patient()
    Consent.objects.create(patient=patient, physician=physician, source="staff")
    sign_in_with_code(page, physician)
    page.wait_for_url("**/studies/")

    page.goto(f"/studies/{order.pk}/")
    expect(page.locator("#report-text")).to_contain_text("IMPRESSION: Benign.")
    page.screens.shot("study")
    with page.expect_download() as hl7_download:
        page.get_by_role("link", name="Export HL7 (ORU^R01)").click()
    hl7_file = tmp_path / hl7_download.value.suggested_filename
    hl7_download.value.save_as(hl7_file)
    (command,) = oru.extract(parse_message(hl7_file.read_text("utf-8")))
    assert command.order.accession_number == order.accession_number
    assert command.report.text == "FINDINGS: 4 mm nodule | stable.\n\nIMPRESSION: Benign."
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = PdfReader(io.BytesIO(pdf_download.value.path().read_bytes()))
    assert "IMPRESSION: Benign." in pdf.pages[0].extract_text()

    page.get_by_role("link", name="Place an order").click()
    page.get_by_label("Find a patient (name or patient ID)").fill(patient.family_name)
    page.get_by_role("button", name="Find").click()
    page.wait_for_url("**/orders/new/?find=*")
    page.get_by_label("Patient", exact=True).select_option(str(patient.pk))
    page.get_by_label("Procedure").select_option("MRBRAIN")
    page.get_by_label("Priority").select_option("stat")
    page.get_by_label("Clinical indication").fill("New weakness of the left arm since today.")
    referral = tmp_path / "referral.pdf"
    referral.write_bytes(REFERRAL)
    page.get_by_label("Attachments (optional)").set_input_files(str(referral))
    page.screens.shot("order-form")
    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url("**/orders/")
    placed = Order.objects.get(patient=patient)
    row = page.locator("tr", has_text=placed.accession_number)
    expect(row).to_contain_text("STAT")
    expect(row.locator(".order-status")).to_have_text("Scheduled")
    page.screens.shot("my-orders")

    assert deliver_to_ris() == 1
    sent = parse_message(ris.received[0])
    assert sent.message_type == "ORM^O01"
    obr = sent.segment("OBR")
    assert (obr.value(4, 1), obr.value(18), obr.value(27, 6)) == (
        "MRBRAIN", placed.accession_number, "S")

    with acting_as(Actor(name="hl7:RIS", role="integration")):  # the centre scans the patient
        services.set_order_status(placed.accession_number, "images_available")
    expect(row.locator(".order-status")).to_have_text("Images available", timeout=15_000)
    page.screens.shot("status-updated")
