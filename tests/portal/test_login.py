"""Signing in: passwords (Argon2), the second factor gate, lockout, idle expiry, headers."""

import time

import pyotp
import pytest
from django.contrib.auth.models import User
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from radbridge.accounts.choices import Role
from radbridge.accounts.middleware import LAST_ACTIVITY
from radbridge.accounts.services import twofactor
from radbridge.core.models import AuditEntry
from tests.personas import make_order, make_patient_user, make_staff, sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple 42"


def totp_now(device: TOTPDevice) -> str:
    return pyotp.TOTP(twofactor_secret(device)).now()


def twofactor_secret(device: TOTPDevice) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode()


def login(client, username, password=PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password, **extra})


def test_passwords_are_hashed_with_argon2():
    user = make_staff(password=PASSWORD)
    assert user.password.startswith("argon2")


def test_wrong_password_fails_and_is_audited(client):
    user = make_staff(password=PASSWORD)
    response = login(client, user.username, "wrong password")
    assert response.status_code == 200 and b"correct username and password" in response.content
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.outcome == "denied" and entry.detail["username"] == user.username


def test_staff_without_a_device_must_enrol_before_reaching_phi(client):
    order = make_order(report_text="secret finding")
    user = make_staff(password=PASSWORD, all_sites=True)
    response = login(client, user.username)
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    blocked = client.get(f"/studies/{order.pk}/")
    assert blocked.status_code == 302 and "/account/two-factor/" in blocked["Location"]
    page = client.get("/account/two-factor/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    confirm = client.post("/account/two-factor/", {"token": totp_now(device)})
    assert confirm.status_code == 302 and "backup-codes" in confirm["Location"]
    codes_page = client.get("/account/two-factor/backup-codes/")
    assert codes_page.content.count(b"<li>") >= 10
    assert client.get(f"/studies/{order.pk}/").status_code == 200
    assert AuditEntry.objects.filter(action="auth.2fa_enrolled", object_id=str(user.pk)).exists()


def test_enrolled_staff_pass_the_challenge_with_a_code_or_a_backup_code(client):
    user = make_staff(password=PASSWORD, all_sites=True)
    device = twofactor.start_totp_enrolment(user)
    codes = twofactor.confirm_totp(user, device, totp_now(device))
    response = login(client, user.username, next="/studies/")
    assert response["Location"].startswith("/login/code/")
    assert client.get("/studies/").status_code == 302
    ok = client.post("/login/code/", {"token": codes[0], "next": "/studies/"})
    assert ok.status_code == 302 and ok["Location"] == "/studies/"
    assert client.get("/studies/").status_code == 200
    client.post("/logout/")
    login(client, user.username)
    reused = client.post("/login/code/", {"token": codes[0]})
    assert b"not right" in reused.content  # a backup code works once


def test_a_wrong_code_is_refused_and_audited(client):
    user = make_staff(password=PASSWORD)
    device = twofactor.start_totp_enrolment(user)
    twofactor.confirm_totp(user, device, totp_now(device))
    login(client, user.username)
    wrong = client.post("/login/code/", {"token": "000000"})
    assert b"not right" in wrong.content
    assert AuditEntry.objects.filter(action="auth.2fa_failed", outcome="denied").exists()
    assert client.get("/my/studies/").status_code == 302


def test_backup_codes_are_stored_hashed(client):
    user = make_staff()
    codes = twofactor.new_backup_codes(user)
    stored = list(user.backupcodedevice_set.get().codes.values_list("code_hash", flat=True))
    assert not set(codes) & set(stored) and all(len(h) == 64 for h in stored)


def test_patients_sign_in_without_a_second_factor_unless_they_chose_one(client):
    user = make_patient_user(password=PASSWORD)
    response = login(client, user.username)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/my/studies/").status_code == 200


def test_patient_who_chose_a_second_factor_is_challenged(client):
    user = make_patient_user(password=PASSWORD)
    device = twofactor.start_totp_enrolment(user)
    twofactor.confirm_totp(user, device, totp_now(device))
    login(client, user.username)
    assert client.get("/my/studies/")["Location"].startswith("/login/code/")


def test_integration_accounts_cannot_sign_in_to_the_portal(client):
    user = make_staff(password=PASSWORD)
    user.profile.role = Role.INTEGRATION
    user.profile.save()
    response = login(client, user.username)
    assert response.status_code == 200 and b"integration account" in response.content


def test_lockout_after_repeated_failures_is_audited(client, settings):
    user = make_staff(password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong")
    locked = login(client, user.username)  # even the right password is refused now
    assert locked.status_code == 429 and b"Too many failed sign-ins" in locked.content
    assert AuditEntry.objects.filter(action="auth.lockout").exists()
    assert "_auth_user_id" not in client.session


def test_session_ends_after_inactivity(client, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 60
    user = make_patient_user()
    sign_in(client, user)
    assert client.get("/my/studies/").status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 61
    session.save()
    response = client.get("/my/studies/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert client.get("/my/studies/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.session_expired").exists()


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert b"<script>" not in response.content and b" style=" not in response.content


def test_pages_for_signed_in_people_are_not_cached(client):
    sign_in(client, make_patient_user())
    assert client.get("/my/studies/")["Cache-Control"] == "no-store"


def test_login_refuses_a_post_without_csrf_token():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "x", "password": "y"}).status_code == 403


def test_password_reset_by_email(client):
    user = make_patient_user(password=PASSWORD, email="pat@example.org")
    client.post("/password/reset/", {"email": "pat@example.org"})
    assert len(mail.outbox) == 1 and user.username in mail.outbox[0].body
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert b"Choose a new password" in form.content
    new_password = "another long passphrase 77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new_password,
                                                    "new_password2": new_password})
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password(new_password)
    assert AuditEntry.objects.filter(action="auth.password_reset").exists()


def test_weak_password_is_refused_on_reset(client):
    user = make_patient_user(password=PASSWORD, email="weak@example.org")
    client.post("/password/reset/", {"email": "weak@example.org"})
    path = next(x for x in mail.outbox[0].body.splitlines() if "/password/reset/" in x)
    form = client.get(path.split("testserver", 1)[1], follow=True)
    page = client.post(form.redirect_chain[-1][0], {"new_password1": "password",
                                                    "new_password2": "password"})
    assert b"too common" in page.content or b"too short" in page.content
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/",
                                    "javascript:alert(1)"])
def test_backup_codes_page_never_links_out_of_the_site(client, target):
    """`next` travels from the login page through enrolment (code or passkey) to the backup
    codes page: a link there to another site would be an open redirect."""
    user = make_staff(password=PASSWORD, all_sites=True)
    login(client, user.username, next=target)
    client.get(f"/account/two-factor/?next={target}")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    confirm = client.post(f"/account/two-factor/?next={target}", {"token": totp_now(device)})
    assert confirm.status_code == 302
    page = client.get(confirm["Location"])
    assert page.status_code == 200 and page.content.count(b"<li>") >= 10
    assert b"evil.example" not in page.content and b"javascript:" not in page.content
    assert b'href="/"' in page.content


def test_backup_codes_page_keeps_a_next_inside_the_site(client):
    sign_in(client, make_staff(all_sites=True))
    page = client.get("/account/two-factor/backup-codes/?next=/studies/")
    assert b'href="/studies/"' in page.content
