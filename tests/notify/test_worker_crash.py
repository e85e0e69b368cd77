"""kill -9 a real worker (`radbridge serve --role worker`) in the middle of a send.

ClickSend has accepted the SMS but the worker dies before it hears so and records it: the
worst moment. A restarted worker must find the message at the provider (its history, by our
key) and not send it again: the patient gets one SMS."""

import os
import signal
import subprocess
import sys

import pytest

from radbridge.notify.choices import DeliveryStatus
from radbridge.notify.models import Delivery
from tests.hl7.test_crash_safety import database_url

from .conftest import make_order, make_patient, report_event, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def start_worker(home, fake) -> subprocess.Popen:
    user, key = fake.clicksend_auth
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "RADBRIDGE_HOME": str(home),
        "RADBRIDGE_SMS_PROVIDER": "clicksend",
        "RADBRIDGE_CLICKSEND_BASE_URL": fake.url,
        "RADBRIDGE_CLICKSEND_USERNAME": user,
        "RADBRIDGE_CLICKSEND_API_KEY": key,
        "RADBRIDGE_NOTIFY_SEND_TIMEOUT": "20",
        "RADBRIDGE_NOTIFY_SEND_LEASE": "2",
        "RADBRIDGE_NOTIFY_QUIET_HOURS": "off",
        "RADBRIDGE_EMAIL_URL": "dummy:",
        # Sealed audit entries are append-only, and SQLite's test flush deletes rows.
        "RADBRIDGE_AUDIT_SEAL_SECONDS": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "worker", "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def test_sms_accepted_by_the_provider_before_a_kill_is_not_sent_again(actor, sms_server,
                                                                      tmp_path):
    sms_server.hang_seconds = 60
    sms_server.fail_next("accept_then_hang")
    order = make_order(make_patient(email=""))
    report_event(order)
    worker = start_worker(tmp_path, sms_server)
    try:
        assert wait_for(lambda: len(sms_server.accepted) == 1, timeout=60), "worker never sent"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    sms_server.release.set()  # let the fake's hung handler go; its client is dead anyway
    sms = Delivery.objects.get(channel="sms")
    assert sms.status == DeliveryStatus.SENDING and not sms.provider_message_id

    restarted = start_worker(tmp_path, sms_server)
    try:
        assert wait_for(lambda: Delivery.objects.get(id=sms.id).status == "sent", timeout=60)
    finally:
        restarted.terminate()
        restarted.wait(30)
    sms.refresh_from_db()
    assert len(sms_server.accepted) == 1
    assert sms.provider_message_id == sms_server.accepted[0]["id"]
    assert sms.attempts == 2


def test_messages_in_flight_when_killed_all_arrive_exactly_once(actor, sms_server, tmp_path):
    for number in range(40):
        patient = make_patient(phones=[f"(217) 555-{1000 + number}"], email="")
        report_event(make_order(patient, accession=f"K{number}"))
    sms_server.hang_seconds = 60
    sms_server.fail_next(*(["accept_then_hang"] * 1))
    worker = start_worker(tmp_path, sms_server)
    try:
        assert wait_for(lambda: len(sms_server.accepted) >= 1, timeout=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    sms_server.release.set()
    restarted = start_worker(tmp_path, sms_server)
    try:
        assert wait_for(lambda: Delivery.objects.filter(status="sent").count() == 40, timeout=90)
    finally:
        restarted.terminate()
        restarted.wait(30)
    keys = [m["key"] for m in sms_server.accepted]
    assert len(keys) == 40 and len(set(keys)) == 40
