"""The front desk books a time for an order from its study page in Chromium (second factor,
the week swapped by HTMX, confirm); the study page then shows the booked time, and the RIS (a
stand-in MLLP listener on a real socket) receives SIU^S12 for that order."""

from datetime import time

import pytest
from playwright.sync_api import expect

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Appointment
from radbridge.hl7.messages import hl7_time
from radbridge.hl7.wire import parse_message
from tests.browser.signing_in import PASSWORD, sign_in_with_code
from tests.hl7.ris import deliver_to_ris
from tests.personas import make_location, make_order, make_site, make_staff
from tests.scheduling.helpers import make_schedule

pytestmark = pytest.mark.django_db(transaction=True)


def test_front_desk_books_a_time_from_the_study_page(page, ris):
    site = make_site("North")
    make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])
    order = make_order(location=make_location(site))
    order.procedure_code, order.procedure_text = "CTHEAD", "CT head"
    order.save()
    clerk = make_staff(Role.FRONT_DESK, sites=[site], username="desk", password=PASSWORD)
    sign_in_with_code(page, clerk)
    page.goto(f"/studies/{order.pk}/")
    expect(page.get_by_role("heading", name="CT head")).to_be_visible()
    page.screens.shot("study-awaiting-a-slot")
    page.get_by_role("link", name="Book a time").click()
    expect(page.get_by_role("heading", name="Choose a time")).to_be_visible()
    expect(page.get_by_text(order.patient.display_name)).to_be_visible()
    first_week = page.locator("#week-heading").inner_text()
    page.get_by_role("link", name="Next week").click()  # HTMX swaps the week in place
    expect(page.locator("#week-heading")).not_to_have_text(first_week)
    page.screens.shot("choose-time")
    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", name="Confirm the booking")).to_be_visible()
    page.screens.shot("confirm")
    page.get_by_role("button", name="Confirm booking").click()

    page.wait_for_url(f"**/studies/{order.pk}/")
    expect(page.get_by_text(f"Booked for {order.patient.display_name}")).to_be_visible()
    expect(page.get_by_role("link", name="Book a time")).to_have_count(0)
    expect(page.get_by_role("link", name="Move the appointment")).to_be_visible()
    page.screens.shot("booked")

    appointment = Appointment.objects.get()
    order.refresh_from_db()
    assert appointment.order == order and order.scheduled_at == appointment.starts_at
    deliver_to_ris()
    booked = parse_message(ris.received[-1])
    assert booked.message_type == "SIU^S12"
    assert booked.segment("SCH").value(1) == appointment.external_id
    assert booked.segment("SCH").value(27) == order.accession_number
    assert booked.segment("TQ1").value(7) == hl7_time(appointment.starts_at)
