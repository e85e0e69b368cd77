"""Sign-in journeys in Chromium: enrol TOTP, sign in with it, lockout, idle expiry."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from radbridge.accounts.choices import Role
from tests.browser.signing_in import PASSWORD, sign_in
from tests.personas import make_order, make_patient_user, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_enrol_totp_then_sign_in_with_it(page):
    order = make_order(report_text="Impression: no acute findings.")
    make_staff(Role.RADIOLOGIST, username="rad", password=PASSWORD, all_sites=True)
    sign_in(page, "rad")
    page.wait_for_url("**/account/two-factor/**")
    assert page.locator(".qr svg").is_visible()
    page.screens.shot("enrol-qr")
    secret = page.locator("#totp-secret").inner_text()
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from your app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url("**/backup-codes/**")
    assert page.locator("#backup-codes li").count() == 10
    page.screens.shot("backup-codes")
    page.goto(f"/studies/{order.pk}/")
    assert "no acute findings" in page.locator("#report-text").inner_text()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")

    sign_in(page, "rad")
    page.wait_for_url("**/login/code/**")
    page.goto(f"/studies/{order.pk}/")  # no way round the second step
    page.wait_for_url("**/login/code/**")
    page.screens.shot("challenge")
    # The code of the next time step: the one just used to enrol cannot be used twice.
    page.get_by_label("Code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"**/studies/{order.pk}/")
    assert "no acute findings" in page.locator("#report-text").inner_text()
    page.screens.shot("report")


def test_repeated_failures_lock_the_account_out(page, settings):
    make_staff(username="tech", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(page, "tech", "not my password")
        expect(page.get_by_text("correct username and password")).to_be_visible()
    page.screens.shot("failed")
    sign_in(page, "tech", "not my password")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    sign_in(page, "tech")  # the right password no longer helps
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    page.screens.shot("locked-out")


def test_session_expires_after_inactivity(page, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 2
    make_patient_user(username="pat", password=PASSWORD)
    sign_in(page, "pat")
    page.wait_for_url("**/my/studies/")
    expect(page.get_by_role("heading", name="My studies")).to_be_visible()
    page.wait_for_timeout(3500)  # idle longer than the limit
    page.get_by_role("link", name="Sharing").click()
    page.wait_for_url("**/login/?expired=1**")
    expect(page.get_by_text("signed out after a period of inactivity")).to_be_visible()
    page.screens.shot("expired")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/my/sharing/")  # back where they were going
