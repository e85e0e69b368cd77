"""Passkeys in Chromium, with the DevTools virtual authenticator standing in for the
device's fingerprint/face/PIN: enrol a passkey, sign in with password + passkey, remove it."""

from base64 import b32encode

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from radbridge.accounts.choices import Role
from radbridge.accounts.services import twofactor
from radbridge.core.models import AuditEntry
from tests.browser.signing_in import PASSWORD, sign_in
from tests.personas import make_order, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def authenticator(page, live_server, settings):
    """A platform authenticator (ctap2, internal, resident keys, user verified) in this tab."""
    settings.PUBLIC_URL = live_server.url  # the relying party is where the browser is
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})
    return session, added["authenticatorId"]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def test_staff_enrols_a_passkey_then_signs_in_with_it(page, authenticator):
    session, authenticator_id = authenticator
    order = make_order(report_text="Impression: no acute findings.")
    make_staff(Role.RADIOLOGIST, username="rad", password=PASSWORD, all_sites=True)
    sign_in(page, "rad")
    page.wait_for_url("**/account/two-factor/**")
    page.screens.shot("enrol-choices")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/backup-codes/**")
    assert page.locator("#backup-codes li").count() == 10
    stored = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1
    sign_out(page)

    sign_in(page, "rad")
    page.wait_for_url("**/login/code/**")
    page.goto(f"/studies/{order.pk}/")  # no way round the second step
    page.wait_for_url("**/login/code/**")
    page.screens.shot("passkey-challenge")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(f"**/studies/{order.pk}/")
    assert "no acute findings" in page.locator("#report-text").inner_text()
    assert AuditEntry.objects.filter(action="auth.2fa_passed", detail__method="passkey").exists()


def test_passkey_added_on_account_page_is_listed_and_once_removed_no_longer_offered(
    page, authenticator
):
    user = make_staff(Role.TECHNOLOGIST, username="tech", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    twofactor.new_backup_codes(user)  # as after enrolling the authenticator app
    totp = pyotp.TOTP(b32encode(device.bin_key).decode())
    sign_in(page, "tech")
    page.wait_for_url("**/login/code/**")
    expect(page.get_by_role("button", name="Use your passkey")).to_have_count(0)
    page.get_by_label("Code").fill(totp.now())
    page.get_by_role("button", name="Continue").click()
    page.goto("/account/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-list li")).to_have_count(1)
    page.screens.shot("account-passkey-listed")
    sign_out(page)

    sign_in(page, "tech")
    page.wait_for_url("**/login/code/**")
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/account/")
    page.get_by_role("button", name="Remove Passkey 1").click()
    expect(page.get_by_text("The passkey was removed")).to_be_visible()
    expect(page.locator("#passkey-list li")).to_have_count(0)
    page.screens.shot("account-passkey-removed")
    sign_out(page)

    sign_in(page, "tech")
    page.wait_for_url("**/login/code/**")
    expect(page.get_by_role("button", name="Use your passkey")).to_have_count(0)
    assert AuditEntry.objects.filter(action="auth.passkey_removed").count() == 1


def test_passkey_of_one_user_is_not_accepted_for_another(page, authenticator):
    order = make_order(report_text="secret finding")
    make_staff(Role.RADIOLOGIST, username="alice", password=PASSWORD, all_sites=True)
    bob = make_staff(Role.RADIOLOGIST, username="bob", password=PASSWORD, all_sites=True)
    WebAuthnCredential.objects.create(  # Bob's own passkey lives on another device
        user=bob, name="Passkey 1", confirmed=True, credential_id=b"bob's device", public_key=b"-"
    )
    sign_in(page, "alice")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url("**/backup-codes/**")
    sign_out(page)

    sign_in(page, "bob")  # this browser holds only Alice's passkey
    page.wait_for_url("**/login/code/**")
    page.get_by_role("button", name="Use your passkey").click()
    expect(page.locator("#passkey-verification-status-message")).to_contain_text("not allowed")
    page.screens.shot("refused")
    page.goto(f"/studies/{order.pk}/")
    page.wait_for_url("**/login/code/**")
    assert not AuditEntry.objects.filter(action="auth.2fa_passed").exists()
