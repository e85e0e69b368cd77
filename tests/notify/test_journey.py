"""The journey over real sockets: a RIS sends ORM^O01 and ORU^R01 over MLLP to the listener;
the patient's phone (the fake ClickSend) and mailbox (aiosmtpd) get exactly one message per
thing that happened, and the STAT report reaches the ordering physician at once.

The images leg is an `images.available` event emitted as the imaging app will emit it after
DICOM C-STORE; the real C-STORE leg joins this test when the imaging app lands.
"""

import re

import pytest
from django.db import transaction

from radbridge.clinical.models import Order, Practitioner
from radbridge.core import outbox
from radbridge.hl7.client import MLLPClient
from radbridge.hl7.wire import parse_ack
from radbridge.notify import delivery
from radbridge.notify.models import Delivery
from tests.hl7.conftest import RunningListener
from tests.hl7.helpers import orm, oru

SIGNUP_LINK = re.compile(r"https://radbridge\.example/signup/inv_[\w-]+/")

pytestmark = pytest.mark.django_db(transaction=True)
PHONE, EMAIL = "+12175550142", "jane.doe@example.org"


@pytest.fixture
def listener():
    running = RunningListener().start()
    yield running
    running.stop()


def with_email(message: str) -> str:
    return message.replace("||(217)555-0142", f"||(217)555-0142~^NET^Internet^{EMAIL}")


def send(port: int, *messages: str) -> list[str]:
    codes = []
    with MLLPClient("127.0.0.1", port, timeout=10) as client:
        for text in messages:
            codes.append(parse_ack(client.send(text.encode()).decode())[0])
    return codes


def deliver_everything():
    for _ in range(3):
        outbox.relay_once()
        delivery.send_due()


def test_ris_messages_lead_to_exactly_one_message_each(actor, listener, sms_server,
                                                       mail_server):
    report_text = ["FINDINGS: no pulmonary embolism.", "IMPRESSION: normal study."]
    assert send(listener.port, with_email(orm("J1", "ACC1"))) == ["AA"]
    order = Order.objects.get(accession_number="ACC1")
    with transaction.atomic():  # what the imaging app emits once the study is stable
        outbox.emit("images.available", "study", 1, patient_id=order.patient_id,
                    order_id=order.id, accession_number="ACC1", modality="CT",
                    priority="routine", study_instance_uid="1.2.840.1", instance_count=120)
    routine_report = with_email(oru("J2", "ACC1", report_text))
    assert send(listener.port, routine_report, routine_report) == ["AA", "AA"]  # retransmitted
    assert send(listener.port, with_email(orm("J3", "ACC2", priority="S"))) == ["AA"]
    # The centre's staff enter the ordering physician's contact details once.
    Practitioner.objects.filter(identifier="1234567").update(
        phone="(217) 555-0199", email="dr.smith@clinic.example")
    assert send(listener.port, with_email(oru("J4", "ACC2", ["STAT: large PE."]))) == ["AA"]
    deliver_everything()

    to_patient = [m["body"] for m in sms_server.accepted if m["to"] == PHONE]
    # The patient has no account yet: each message carries a sign-up link tied to its study.
    assert sorted(SIGNUP_LINK.sub("<sign-up link>", body) for body in to_patient) == sorted([
        "Springfield Imaging: your CT images are ready to view: <sign-up link>",
        "Springfield Imaging: your CT report is complete. View it securely: <sign-up link>",
        "Springfield Imaging: your CT report is complete. View it securely: <sign-up link>",
    ])  # images of ACC1, report of ACC1, report of ACC2: one each
    assert sorted(m["Subject"] for m in mail_server.to(EMAIL)) == [
        "Your CT images are ready", "Your CT report is complete", "Your CT report is complete"]
    to_physician = [m for m in sms_server.accepted if m["to"] == "+12175550199"]
    stat_order = Order.objects.get(accession_number="ACC2")
    assert [m["body"] for m in to_physician] == [
        "Springfield Imaging STAT: final CT report for accession ACC2 is available: "
        f"https://radbridge.example/studies/{stat_order.id}/"]
    assert [m["Subject"] for m in mail_server.to("dr.smith@clinic.example")] == [
        "STAT final report: accession ACC2"]
    without_links = [SIGNUP_LINK.sub("", body) for body in to_patient]
    assert not any("embolism" in body or "PE" in body for body in without_links)
    assert Delivery.objects.exclude(status="sent").count() == 0
