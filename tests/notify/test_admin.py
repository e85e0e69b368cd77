"""Admin screens and start-up checks: the delivery log, rates, resend, template preview, and a
misconfigured provider reported at start and on the page."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from radbridge.core import outbox
from radbridge.core.models import AuditEntry
from radbridge.notify import delivery
from radbridge.notify.choices import MessageKind
from radbridge.notify.models import Delivery, MessageTemplate
from tests.personas import sign_in

from .conftest import make_order, make_patient, report_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(actor):
    user = User.objects.create_superuser("boss", "boss@example.org", "pw-for-tests")
    return sign_in(Client(), user)


@pytest.fixture
def sent(actor, sms_server):
    report_event(make_order(make_patient(email="")))
    outbox.relay_once()
    delivery.send_due()
    return Delivery.objects.get(channel="sms", kind=MessageKind.REPORT_READY)


def test_missing_clicksend_key_stops_the_start_with_the_variable_named(settings):
    settings.NOTIFY_SMS_PROVIDER = "clicksend"
    settings.NOTIFY_CLICKSEND_USERNAME, settings.NOTIFY_CLICKSEND_API_KEY = "user", ""
    with pytest.raises(SystemCheckError, match="RADBRIDGE_CLICKSEND_API_KEY is not set"):
        call_command("check")


def test_unknown_provider_is_a_start_up_error(settings):
    settings.NOTIFY_SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(SystemCheckError, match="choose one of: clicksend, twilio, log"):
        call_command("check")


def test_twilio_without_sender_is_a_start_up_error(settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    settings.NOTIFY_TWILIO_ACCOUNT_SID, settings.NOTIFY_TWILIO_AUTH_TOKEN = "AC1", "t"
    settings.NOTIFY_TWILIO_FROM = ""
    with pytest.raises(SystemCheckError, match="RADBRIDGE_TWILIO_FROM"):
        call_command("check")


def test_rates_page_shows_the_rate_per_channel_and_configuration_problems(
        admin_client, sent, settings):
    settings.NOTIFY_SMS_PROVIDER = "twilio"
    settings.NOTIFY_TWILIO_FROM = ""
    page = admin_client.get("/admin/notify/delivery/rates/").content.decode()
    assert "RADBRIDGE_TWILIO_FROM is not set" in page
    assert '<tr class="channel-sms">' in page and "100.0 %" in page
    assert 'aria-label="sms: 100.0 % reached"' in page  # the chart, drawn server-side


def test_delivery_log_filters_and_audits_the_read(admin_client, sent):
    page = admin_client.get("/admin/notify/delivery/?status__exact=sent&channel__exact=sms")
    assert page.status_code == 200 and sent.provider_message_id in page.content.decode()
    empty = admin_client.get("/admin/notify/delivery/?status__exact=dead").content.decode()
    assert sent.provider_message_id not in empty
    [shown] = AuditEntry.objects.filter(action="read.delivery_list", actor="user:boss")
    assert (shown.object_id, shown.patient_id) == (str(sent.pk), sent.patient_id)
    admin_client.get(f"/admin/notify/delivery/{sent.pk}/change/")
    opened = AuditEntry.objects.get(action="read.delivery", actor="user:boss")
    assert opened.patient_id == sent.patient_id


def test_resend_action_queues_and_sends_again(admin_client, sent, sms_server):
    response = admin_client.post("/admin/notify/delivery/", {
        "action": "resend_selected", "_selected_action": [sent.id]}, follow=True)
    assert "1 message(s) queued again." in response.content.decode()
    delivery.send_due()
    assert len(sms_server.accepted) == 2


def test_template_change_page_shows_a_rendered_preview(admin_client):
    template = MessageTemplate.objects.get(kind=MessageKind.REPORT_READY, channel="email",
                                           language="en", site=None)
    page = admin_client.get(f"/admin/notify/messagetemplate/{template.id}/change/")
    content = page.content.decode()
    assert "Your CT report is complete" in content and "Hello Jane" in content


def test_broken_template_is_not_saved(admin_client):
    template = MessageTemplate.objects.get(kind=MessageKind.REPORT_READY, channel="sms",
                                           language="en", site=None)
    response = admin_client.post(f"/admin/notify/messagetemplate/{template.id}/change/", {
        "kind": "report_ready", "channel": "sms", "language": "en", "subject": "",
        "body": "{% for %}", "html_body": "", "active": "on"})
    assert "body: template syntax error" in response.content.decode()
    template.refresh_from_db()
    assert "{% for %}" not in template.body


def test_radbridge_serve_refuses_to_start_with_a_half_configured_provider(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "RADBRIDGE_HOME": str(tmp_path), "RADBRIDGE_SMS_PROVIDER": "twilio",
           "RADBRIDGE_TWILIO_ACCOUNT_SID": "AC123", "RADBRIDGE_TWILIO_AUTH_TOKEN": ""}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "worker"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "RADBRIDGE_TWILIO_AUTH_TOKEN is not set" in result.stderr
    assert "RADBRIDGE_TWILIO_FROM is not set" in result.stderr
