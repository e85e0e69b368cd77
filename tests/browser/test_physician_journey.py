"""A referring physician in Chromium: opens a study, exports the report as HL7 and PDF, places
a STAT order that reaches a test RIS (a real MLLP listener) as ORM^O01, and watches its status
change in "My orders"."""

import io

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect
from pypdf import PdfReader

from radbridge.accounts.models import Consent
from radbridge.clinical import services
from radbridge.clinical.models import Order
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.handlers import reports as oru
from radbridge.hl7.outbound import send_due
from radbridge.hl7.wire import parse_message
from tests.hl7.ris import FakeRIS
from tests.personas import make_order, make_patient, make_physician

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a long enough passphrase 9"
REFERRAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def ris(settings):
    running = FakeRIS()
    settings.HL7_OUTBOUND_TARGET = f"127.0.0.1:{running.port}"
    yield running
    running.close()


def sign_in_with_code(page, user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/code/**")
    code = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    page.get_by_label("Code").fill(f"{code:06d}")
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/studies/")


def test_physician_exports_the_report_and_orders_online(page, ris, tmp_path):
    physician = make_physician(username="drkim", password=PASSWORD)
    order = make_order(practitioner=physician.profile.practitioner,
                       report_text="FINDINGS: 4 mm nodule | stable.\n\nIMPRESSION: Benign.")
    patient = make_patient()
    Consent.objects.create(patient=patient, physician=physician, source="staff")
    sign_in_with_code(page, physician)

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

    with acting_as(Actor(name="worker", role="worker")):
        outbox.relay_once()
        assert send_due() == 1
    sent = parse_message(ris.received[0])
    assert sent.message_type == "ORM^O01"
    obr = sent.segment("OBR")
    assert (obr.value(4, 1), obr.value(18), obr.value(27, 6)) == (
        "MRBRAIN", placed.accession_number, "S")

    with acting_as(Actor(name="hl7:RIS", role="integration")):  # the centre scans the patient
        services.set_order_status(placed.accession_number, "images_available")
    expect(row.locator(".order-status")).to_have_text("Images available", timeout=15_000)
    page.screens.shot("status-updated")
