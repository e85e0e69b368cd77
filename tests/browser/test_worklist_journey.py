"""A physician's worklist in Chromium: sign in with a second factor, find a patient by part
of the name typed without accents, keep only STAT studies, search report text and see the
match highlighted, page through; the table updates in place (no full reload)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect

from radbridge.clinical.models import Order, Patient
from tests.browser.signing_in import PASSWORD, sign_in_with_code
from tests.personas import make_clinic, make_order, make_physician

pytestmark = pytest.mark.django_db(transaction=True)


def physician_with_studies():
    doctor = make_physician(clinic=make_clinic(), username="drlee", password=PASSWORD)
    practitioner = doctor.profile.practitioner
    start = datetime(2025, 3, 1, 9, tzinfo=UTC)
    jose = Patient.objects.create(family_name="Muñoz", given_name="José",
                                  birth_date=date(1961, 4, 2))
    stat = make_order(jose, practitioner,
                      report_text="FINDINGS: Two pulmonary nodules in the right upper lobe, "
                                  "largest 6 mm. IMPRESSION: follow-up CT in 12 months.")
    Order.objects.filter(pk=stat.pk).update(priority="stat", scheduled_at=start)
    for n in range(30):
        patient = Patient.objects.create(family_name=f"Routine{n:02d}", given_name="Sam")
        routine = make_order(patient, practitioner, report_text="Normal study.")
        Order.objects.filter(pk=routine.pk).update(scheduled_at=start - timedelta(days=n + 1))
    return doctor, stat


def test_physician_searches_filters_and_pages_the_worklist(page):
    doctor, stat = physician_with_studies()
    sign_in_with_code(page, doctor)
    page.wait_for_url("**/studies/")
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    expect(page.locator("caption")).to_contain_text("31 studies")
    page.screens.shot("worklist")
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Patient name").fill("jose mun")
    expect(page.locator("caption")).to_contain_text("1 study")
    expect(page.locator("tbody tr.study")).to_contain_text("Muñoz, José")
    expect(page).to_have_url(re.compile(r"name=jose(\+|%20)mun"))  # for back and bookmarks
    page.screens.shot("name-without-accents")

    page.get_by_label("Patient name").fill("")
    page.get_by_label("STAT only").check()
    expect(page.locator("caption")).to_contain_text("1 study")
    expect(page.locator("tbody .badge.stat")).to_have_count(1)
    page.screens.shot("stat-only")

    page.get_by_label("STAT only").uncheck()
    page.get_by_label("Report text").fill("pulmonary nodule")
    expect(page.locator("caption")).to_contain_text("1 study")
    marks = page.locator(".report-snippet mark")
    expect(marks.first).to_be_visible()
    assert {text.lower() for text in marks.all_inner_texts()} == {"pulmonary", "nodules"}
    page.screens.shot("report-text-highlighted")

    page.get_by_label("Report text").fill("")
    expect(page.locator("caption")).to_contain_text("31 studies")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    expect(page.locator("tbody tr.study")).to_have_count(6)
    page.get_by_role("link", name="Patient").click()  # sort by patient name, back to page 1
    expect(page.locator("tbody tr.study").first).to_contain_text("Muñoz, José")
    page.screens.shot("sorted-by-patient")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("link", name=stat.accession_number).click()
    page.wait_for_url(f"**/studies/{stat.pk}/")
