"""A patient books an exam in Chromium, sees it in My appointments and cancels it; the RIS
(a stand-in MLLP listener on a real socket) receives SIU^S12 then SIU^S15."""

from datetime import time

import pytest
from playwright.sync_api import expect

from radbridge.clinical.models import Appointment
from radbridge.hl7.wire import parse_message
from tests.browser.signing_in import PASSWORD, sign_in
from tests.hl7.ris import deliver_to_ris
from tests.personas import make_order, make_patient, make_patient_user
from tests.scheduling.helpers import make_schedule

pytestmark = pytest.mark.django_db(transaction=True)


def test_patient_books_and_cancels_an_exam(page, ris):
    make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])
    patient = make_patient()
    order = make_order(patient)
    order.procedure_code, order.procedure_text = "CTHEAD", "CT head"
    order.save()
    make_patient_user(patient, username="pat", password=PASSWORD)

    sign_in(page, "pat")
    page.wait_for_url("**/my/studies/")
    page.get_by_role("link", name="Book an exam").click()
    expect(page.get_by_role("heading", name="Exams your doctor ordered")).to_be_visible()
    page.screens.shot("choose-exam")
    page.get_by_role("link", name="CT head").click()
    expect(page.get_by_role("heading", name="Choose a time")).to_be_visible()
    first_week = page.locator("#week-heading").inner_text()
    page.get_by_role("link", name="Next week").click()  # HTMX swaps the week in place
    expect(page.locator("#week-heading")).not_to_have_text(first_week)
    page.screens.shot("choose-time")
    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    page.screens.shot("confirm")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", name="You are booked")).to_be_visible()
    page.screens.shot("booked")

    appointment = Appointment.objects.get()
    assert appointment.order == order and appointment.status == "booked"
    deliver_to_ris()
    booked = parse_message(ris.received[-1])
    assert booked.message_type == "SIU^S12"
    assert booked.segment("SCH").value(1) == appointment.external_id
    assert booked.segment("SCH").value(27) == order.accession_number

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My appointments").click()
    expect(page.get_by_text("CT head")).to_be_visible()
    page.screens.shot("my-appointments")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("Your appointment is cancelled")).to_be_visible()
    page.screens.shot("cancelled")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    deliver_to_ris()
    assert [parse_message(m).message_type for m in ris.received] == ["SIU^S12", "SIU^S15"]


def test_the_booking_pages_fit_a_phone(page):
    make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])
    make_patient_user(make_patient(), username="pat", password=PASSWORD)
    page.set_viewport_size({"width": 375, "height": 740})
    sign_in(page, "pat")
    page.wait_for_url("**/my/studies/")
    page.goto("/book/")
    page.get_by_label("Exam", exact=True).select_option("CTHEAD")
    page.get_by_role("button", name="Show free times").click()
    page.get_by_role("link", name="Next week").click()
    expect(page.locator("a.slot").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the week must not scroll sideways on a phone"
    page.screens.shot("phone-week")
