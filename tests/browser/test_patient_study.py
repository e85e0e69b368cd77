"""A patient in Chromium, on a phone-sized screen: opens their study, sees where it is, the
report with the words in it explained, the thumbnail of their real images, and takes the PDF."""

import io
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from radbridge.clinical import services
from radbridge.clinical.data import ReportData
from radbridge.clinical.models import Patient
from tests.browser.signing_in import PASSWORD, sign_in
from tests.imaging.helpers import order_for, receive
from tests.personas import make_patient_user

pytestmark = pytest.mark.django_db(transaction=True)
REPORT = "FINDINGS: Small pleural effusion on the left.\n\nIMPRESSION: No fracture."


@pytest.fixture(autouse=True)
def dicom_storage(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "dicom": {
        "BACKEND": "radbridge.imaging.storage.DurableFileSystemStorage",
        "OPTIONS": {"location": tmp_path / "dicom"},
    }}


def test_patient_reads_report_glossary_and_sees_thumbnails_on_a_phone(page):
    order = order_for("ACC-PAT-1", "MRN-PAT-1")
    receive("1.2.826.0.1.3680043.8.498.1", accession="ACC-PAT-1", patient_id="MRN-PAT-1",
            SeriesDescription="Axial")
    services.finalize_report(ReportData(
        accession_number="ACC-PAT-1", status="final", text=REPORT,
        signed_at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC)))
    make_patient_user(Patient.objects.get(), username="pat", password=PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in(page, "pat")
    page.wait_for_url("**/my/studies/")
    page.goto(f"/studies/{order.pk}/")
    expect(page.locator('.study-steps [aria-current="step"]')).to_have_text("Report ready")
    expect(page.locator("#report-text")).to_contain_text("IMPRESSION: No fracture.")
    glossary = page.locator(".glossary")
    expect(glossary).to_contain_text("Effusion")
    expect(glossary).to_contain_text("Extra fluid collected around an organ")
    expect(glossary).to_contain_text("Fracture")
    thumbnail = page.get_by_role("img", name="Series 1 Axial (CT)")
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=thumbnail.element_handle())
    assert page.get_by_role("link", name="Export HL7 (ORU^R01)").count() == 0
    page.screens.shot("patient-study-phone")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert "IMPRESSION: No fracture." in pdf.pages[0].extract_text()
