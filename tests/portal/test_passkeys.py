"""Passkeys as a second factor: enrol, sign in with password + passkey, list and remove
(audited), and the refusals: another user's passkey, a removed passkey, a malformed answer."""

import json

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from radbridge.accounts.choices import Role
from radbridge.accounts.services import passkeys, twofactor
from radbridge.accounts.services.errors import AccountsError
from radbridge.accounts.services.users import reset_two_factor
from radbridge.core.models import AuditEntry
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.personas import (
    make_centre_admin,
    make_order,
    make_patient_user,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"
PUBLIC_URL = "https://portal.example.org"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.PUBLIC_URL = PUBLIC_URL


def new_authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=PUBLIC_URL, rp_id="portal.example.org")


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def enrol_passkey(client, authenticator):
    options = client.post("/account/passkeys/register/begin/").json()
    return post_json(client, "/account/passkeys/register/complete/",
                     authenticator.register(options))


def answer_with_passkey(client, authenticator):
    options = client.post("/login/passkey/begin/").json()
    return post_json(client, "/login/passkey/complete/", authenticator.sign_in(options))


def password_step(client, user):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def staff_with_passkey(client):
    """A radiologist whose only second factor is a passkey, signed out again."""
    user = make_staff(password=PASSWORD, all_sites=True)
    authenticator = new_authenticator()
    password_step(client, user)
    assert enrol_passkey(client, authenticator).status_code == 200
    client.post("/logout/")
    return user, authenticator


def test_staff_enrols_a_passkey_as_first_factor_and_gets_backup_codes(client):
    user = make_staff(password=PASSWORD)
    password_step(client, user)
    response = enrol_passkey(client, new_authenticator())
    assert response.status_code == 200
    assert response.json()["redirect_url"] == "/account/two-factor/backup-codes/"
    assert twofactor.has_two_factor(user)
    assert len(client.session["portal.new_backup_codes"]) == 10
    entry = AuditEntry.objects.get(action="auth.2fa_enrolled")
    assert entry.detail["method"] == "passkey" and entry.object_id == str(user.pk)


def test_staff_signs_in_with_password_and_passkey_instead_of_code(client):
    order = make_order(report_text="Impression: no acute findings.")
    user, authenticator = staff_with_passkey(client)
    password_step(client, user)
    assert client.get(f"/studies/{order.pk}/").status_code == 302  # second step first
    page = client.get("/login/code/")
    assert b"Use your passkey" in page.content
    response = answer_with_passkey(client, authenticator)
    assert response.status_code == 200, response.content
    assert response.json()["redirect_url"] == "/"
    assert b"no acute findings" in client.get(f"/studies/{order.pk}/").content
    entry = AuditEntry.objects.filter(action="auth.2fa_passed").latest("pk")
    assert entry.detail["method"] == "passkey"


def test_passkey_of_one_user_cannot_sign_in_another(client):
    order = make_order(report_text="secret finding")
    alice, alice_key = staff_with_passkey(client)
    bob, _bob_key = staff_with_passkey(client)
    password_step(client, bob)
    response = answer_with_passkey(client, alice_key)
    assert response.status_code in (400, 403) and response.json()["detail"]
    assert b"secret finding" not in client.get(f"/studies/{order.pk}/", follow=True).content
    failed = AuditEntry.objects.get(action="auth.2fa_failed")
    assert failed.object_id == str(bob.pk) and failed.outcome == "denied"


def test_removed_passkey_no_longer_signs_in(client):
    user, authenticator = staff_with_passkey(client)
    password_step(client, user)
    answer_with_passkey(client, authenticator)
    spare = new_authenticator()
    assert enrol_passkey(client, spare).status_code == 200
    passkey = WebAuthnCredential.objects.get(user=user, name="Passkey 1")
    response = client.post(f"/account/passkeys/{passkey.pk}/remove/", follow=True)
    assert b"The passkey was removed" in response.content
    assert AuditEntry.objects.filter(action="auth.passkey_removed").count() == 1
    client.post("/logout/")
    password_step(client, user)
    refused = answer_with_passkey(client, authenticator)
    assert refused.status_code == 404 and refused.json()["code"] == "credential_not_found"
    assert answer_with_passkey(client, spare).status_code == 200


def test_account_page_lists_passkeys(client):
    user, _ = staff_with_passkey(client)
    sign_in(client, user)
    page = client.get("/account/").content.decode()
    assert "Passkey 1" in page and 'id="passkey-register-button"' in page
    assert "an authenticator app, 1 passkey and 10 unused backup codes" in page
    assert 'type="application/json"' in page and "<script>" not in page


def test_staff_cannot_remove_their_last_second_factor():
    user = make_staff(password=PASSWORD)
    WebAuthnCredential.objects.create(user=user, name="Passkey 1", confirmed=True,
                                      credential_id=b"only", public_key=b"key")
    with pytest.raises(AccountsError, match="requires a second factor"):
        passkeys.remove_passkey(user, WebAuthnCredential.objects.get(user=user).pk)
    assert passkeys.has_passkey(user)


def test_patient_may_remove_their_only_passkey():
    user = make_patient_user(password=PASSWORD)
    passkey = WebAuthnCredential.objects.create(user=user, name="Passkey 1", confirmed=True,
                                                credential_id=b"only", public_key=b"key")
    passkeys.remove_passkey(user, passkey.pk)
    assert not twofactor.has_two_factor(user)


def test_someone_elses_passkey_cannot_be_removed(client):
    owner = make_staff(Role.TECHNOLOGIST)
    passkey = WebAuthnCredential.objects.create(user=owner, name="Passkey 1", confirmed=True,
                                                credential_id=b"theirs", public_key=b"key")
    sign_in(client, make_staff())
    assert client.post(f"/account/passkeys/{passkey.pk}/remove/").status_code == 404
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_malformed_passkey_answer_gets_a_clear_error(client):
    user, _ = staff_with_passkey(client)
    password_step(client, user)
    client.post("/login/passkey/begin/")
    response = client.post("/login/passkey/complete/", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"]
    garbage = post_json(client, "/login/passkey/complete/", {"id": "x", "response": {}})
    assert 400 <= garbage.status_code < 500 and garbage.json()["detail"]
    assert not client.get("/login/code/").wsgi_request.user.is_verified()


def test_passkey_sign_in_without_a_password_is_refused(client):
    response = client.post("/login/passkey/begin/")
    assert response.status_code == 403 and response.json()["detail"]


def test_passkey_cannot_be_added_before_passing_the_existing_second_factor(client):
    user = make_staff(password=PASSWORD)
    sign_in(client, user)  # makes a TOTP device
    client.post("/logout/")
    password_step(client, user)
    response = client.post("/account/passkeys/register/begin/")
    assert response.status_code == 403 and "verify your identity" in response.json()["detail"]


def test_administrator_reset_of_second_factor_removes_passkeys_too(client):
    user, authenticator = staff_with_passkey(client)
    reset_two_factor(make_centre_admin(), user)
    assert not twofactor.has_two_factor(user)
    assert AuditEntry.objects.get(action="auth.2fa_reset").detail["devices_removed"] == 1
    assert password_step(client, user)["Location"].startswith("/account/two-factor/")  # enrol


def test_patient_turning_two_step_sign_in_off_removes_their_passkeys(client):
    user = make_patient_user(password=PASSWORD)
    password_step(client, user)
    assert enrol_passkey(client, new_authenticator()).status_code == 200
    client.post("/account/two-factor/remove/")
    assert not passkeys.has_passkey(user) and not twofactor.has_two_factor(user)
