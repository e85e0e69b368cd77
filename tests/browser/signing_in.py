"""Signing in through the pages, as a person does: username and password, then the current
code from their authenticator app (one is set up for them if they have none)."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "a long enough passphrase 9"


def current_code(device: TOTPDevice) -> str:
    """What the person's authenticator app shows now."""
    token = TOTP(device.bin_key, device.step, device.t0, device.digits).token()
    return f"{token:0{device.digits}d}"


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """The first step: the login page's username and password."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_with_code(page, user, password: str = PASSWORD) -> None:
    device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
              or TOTPDevice.objects.create(user=user, name="phone", confirmed=True))
    sign_in(page, user.username, password)
    page.wait_for_url("**/login/code/**")
    page.get_by_label("Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
