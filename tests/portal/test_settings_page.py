"""The read-only settings page: administrators see what RadBridge runs with; secrets show
only as set; nobody else opens it."""

import pytest

from radbridge.accounts.choices import Role
from radbridge.core.configuration import without_password
from tests.personas import make_centre_admin, make_staff, sign_in

pytestmark = pytest.mark.django_db


def test_admin_sees_settings_and_never_a_secret(client, settings, monkeypatch):
    settings.NOTIFY_TWILIO_AUTH_TOKEN = "s3cr3t-token-value"
    monkeypatch.setenv("RADBRIDGE_TWILIO_AUTH_TOKEN", "s3cr3t-token-value")
    monkeypatch.setenv("RADBRIDGE_MLLP_PORT", "2575")
    monkeypatch.setenv("RADBRIDGE_EMAIL_URL", "smtp://mailer:hunter2@smtp.example:587")
    sign_in(client, make_centre_admin())
    page = client.get("/settings/").content.decode()
    assert "MLLP_PORT" in page and "RADBRIDGE_MLLP_PORT" in page
    assert "NOTIFY_TWILIO_AUTH_TOKEN" in page and "(set)" in page
    assert "s3cr3t-token-value" not in page
    assert "hunter2" not in page and "mailer:****@smtp.example:587" in page


def test_database_password_is_hidden():
    assert without_password("postgres://rb:hunter2@db:5432/rb") == "postgres://rb:****@db:5432/rb"


def test_staff_cannot_open_settings(client):
    sign_in(client, make_staff(Role.TECHNOLOGIST, all_sites=True))
    assert client.get("/settings/").status_code == 404
