"""An administrator's day in Chromium: the dashboard's charts, the interface monitor, a
failed HL7 message found in the journal, read raw and parsed, replayed and applied."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from radbridge.clinical.models import Order
from radbridge.core.health import beat
from radbridge.hl7.ingest import Received, ingest_batch
from tests.browser.signing_in import PASSWORD, sign_in_with_code
from tests.hl7.helpers import message, msh, orm, pid
from tests.personas import make_centre_admin

pytestmark = pytest.mark.django_db(transaction=True)


def receive(text: str) -> int:
    return ingest_batch([Received(text.encode(), "mllp", "127.0.0.1:5000")])[0].journal_id


def test_admin_finds_a_failed_message_and_replays_it(page):
    admin = make_centre_admin(username="chief", password=PASSWORD)
    for number, modality in enumerate(["CT", "MR", "CR"], start=1):
        receive(orm(f"ORD{number}", f"ACC{number}", procedure=f"{modality}X^{modality} exam^L"))
    Order.objects.update(scheduled_at=timezone.now() - timedelta(hours=2))
    # The RIS sends a status change before the order itself: it fails, then the order comes.
    failed = receive(message(msh("ORM^O01", "LATE-STATUS"), pid(),
                             "ORC|SC|PLACC77^EPIC|ACC77^RIS||IP"))
    receive(orm("ORD77", "ACC77"))
    beat(["web", "worker"], timezone.now())

    sign_in_with_code(page, admin)
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    assert page.locator("svg.chart").count() == 3
    expect(page.locator("#turnaround-table")).to_be_visible()
    page.screens.shot("dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Interfaces").click()
    expect(page.locator("#roles")).to_contain_text("worker")
    expect(page.locator("#database")).to_have_text("reachable")
    page.get_by_role("button", name="Check again").click()
    expect(page.locator("#health #checked-at")).to_have_count(1)
    page.screens.shot("health")

    page.get_by_role("link", name="HL7 journal").click()
    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#journal tbody tr")).to_have_count(1)  # HTMX swapped the rows in
    page.screens.shot("journal-failed")
    page.get_by_role("link", name="LATE-STATUS").click()
    page.wait_for_url(f"**/interfaces/journal/{failed}/")
    expect(page.locator("#entry-status")).to_contain_text("Failed (could not be applied")
    expect(page.locator("#raw-message")).to_contain_text("ORC|SC|PLACC77^EPIC|ACC77^RIS||IP")
    expect(page.locator("#segment-3")).to_contain_text("Order status")
    expect(page.locator("#entry-error")).to_contain_text("ACC77")
    page.screens.shot("raw-and-parsed")

    page.get_by_role("button", name="Replay this message").click()
    expect(page.get_by_text("Replayed: the message is applied.")).to_be_visible()
    expect(page.locator("#entry-status")).to_have_text("Applied")
    expect(page.get_by_role("button", name="Replay this message")).to_have_count(0)
    page.screens.shot("replayed")
    assert Order.objects.get(accession_number="ACC77").status == "arrived"


def test_admin_writes_a_template_and_sees_it_live(page):
    admin = make_centre_admin(username="chief", password=PASSWORD)
    sign_in_with_code(page, admin)
    page.goto("/templates/new/?kind=images_ready&channel=sms")
    page.get_by_label("Language").fill("nl")
    page.get_by_label("Text").fill("Hallo {{ first_name }}, uw beelden zijn klaar.")
    expect(page.locator("#preview-body")).to_have_text("Hallo Jane, uw beelden zijn klaar.")
    page.get_by_label("Text").fill("Hallo {% if %}")
    expect(page.locator("#preview-problem")).to_contain_text("template syntax error")
    page.screens.shot("preview-problem")
    page.get_by_label("Text").fill("Hallo {{ first_name }}, uw beelden zijn klaar.")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Template saved")).to_be_visible()
    page.screens.shot("saved")
