"""Real peers for the notification tests: an SMTP server (aiosmtpd) and the fake SMS
providers, each on a free loopback port; builders for patients, orders and events."""

from __future__ import annotations

import email
import email.policy
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from radbridge.clinical.models import Order, Patient, Practitioner
from radbridge.core import outbox
from radbridge.notify import templates
from tests.hl7.ris import free_port

from .fake_providers import FakeProviders


class MailSink:
    """aiosmtpd handler keeping every message, parsed; can be told to refuse."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse_with: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_with:
            return self.refuse_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def mail_server(settings):
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Springfield Imaging <results@springfield.example>"
    sink.port = controller.port
    yield sink
    controller.stop()


@pytest.fixture
def sms_server(settings):
    fake = FakeProviders()
    settings.NOTIFY_SMS_PROVIDER = "clicksend"
    settings.NOTIFY_CLICKSEND_BASE_URL = settings.NOTIFY_TWILIO_BASE_URL = fake.url
    settings.NOTIFY_CLICKSEND_USERNAME, settings.NOTIFY_CLICKSEND_API_KEY = fake.clicksend_auth
    settings.NOTIFY_TWILIO_ACCOUNT_SID, settings.NOTIFY_TWILIO_AUTH_TOKEN = fake.twilio_auth
    settings.NOTIFY_TWILIO_FROM = "+15005550006"
    settings.NOTIFY_SEND_TIMEOUT_SECONDS = 1.0
    fake.hang_seconds = 2.0
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def notify_settings(settings):
    settings.NOTIFY_QUIET_HOURS = "off"
    settings.NOTIFY_CENTRE_NAME = "Springfield Imaging"
    settings.PUBLIC_URL = "https://radbridge.example"
    settings.NOTIFY_PHONE_REGION = "US"
    settings.NOTIFY_SMS_PROVIDER = "log"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_RETRY_BASE_SECONDS = 30.0
    templates.forget_cached_templates()
    yield
    templates.forget_cached_templates()


MOBILE = "(217) 555-0142"  # US numbers are "fixed line or mobile": they take SMS
MOBILE_E164 = "+12175550142"


def make_patient(given="Jane", family="Doe", phones=(MOBILE,), email="jane@example.org"):
    return Patient.objects.create(given_name=given.upper(), family_name=family.upper(),
                                  phones=list(phones), email=email)


def make_physician(identifier="1234567", phone="+1 217 555 0199", email="smith@clinic.example"):
    return Practitioner.objects.create(identifier=identifier, family_name="SMITH",
                                       given_name="ROBERT", phone=phone, email=email)


def make_order(patient, accession="A100", priority="routine", modality="CT", physician=None):
    return Order.objects.create(accession_number=accession, patient=patient, priority=priority,
                                modality=modality, procedure_code="CTCHEST",
                                ordering_practitioner=physician)


def emit(topic, aggregate_type="report", aggregate_id=1, **payload):
    with transaction.atomic():
        return outbox.emit(topic, aggregate_type, aggregate_id, **payload)


def report_event(order, topic="report.finalized", **extra):
    return emit(topic, "report", order.id, patient_id=order.patient_id, version=1,
                report_status=extra.pop("report_status", "final"),
                accession_number=order.accession_number, priority=order.priority,
                status="final", modality=order.modality, **extra)


def wait_for(condition, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
