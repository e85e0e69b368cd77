"""The journey over real sockets: a RIS sends ORM^O01 and ORU^R01 over MLLP to the
listener, a modality sends the images with DCMTK's storescu (C-STORE) to the DICOM SCP; the
worker's jobs (run here in turn) announce the study once it is quiet and send the messages;
the patient's phone (the fake ClickSend) and mailbox (aiosmtpd) get exactly one message per
thing that happened, and the STAT report reaches the ordering physician at once.

The listener and the SCP each run in threads of their own (a session-wide Playwright loop
may already run in the test's thread)."""

import re

import pytest

from radbridge.clinical.models import Order, Practitioner
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.client import MLLPClient
from radbridge.hl7.wire import parse_ack
from radbridge.imaging.availability import release_quiet_studies
from radbridge.imaging.models import Study
from radbridge.notify import delivery
from radbridge.notify.models import Delivery
from tests.hl7.conftest import RunningListener
from tests.hl7.helpers import orm, oru
from tests.imaging.conftest import (
    RunningSCP,
    dcmtk,
    dicom_storage_dir,  # noqa: F401 - autouse: files in tmp
)
from tests.imaging.helpers import ct_bytes

SIGNUP_LINK = re.compile(r"https://radbridge\.example/signup/inv_[\w-]+/")

pytestmark = pytest.mark.django_db(transaction=True)
PHONE, EMAIL = "+12175550142", "jane.doe@example.org"
STUDY_UID = "1.2.826.0.1.3680043.10.42.1"


@pytest.fixture
def listener():
    running = RunningListener().start()
    yield running
    running.stop()


@pytest.fixture
def scp(settings):
    settings.DICOM_NETWORK_TIMEOUT_SECONDS = 5
    running = RunningSCP().start()
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


def scanned_images(folder, accession: str, count: int = 3) -> list[str]:
    """The study as the CT scanner wrote it: Part 10 files."""
    files = []
    for number in range(1, count + 1):
        path = folder / f"{accession}-{number}.dcm"
        path.write_bytes(ct_bytes(STUDY_UID, accession=accession, patient_id="MRN100",
                                  instance_number=number))
        files.append(str(path))
    return files


def modality_sends(port: int, files: list[str]) -> None:
    """The scanner sends the images with DCMTK's storescu, as it would to a PACS."""
    result = dcmtk("storescu", "-aet", "CT01", "-aec", "RADBRIDGE", "127.0.0.1", str(port),
                   *files)
    assert result.returncode == 0, result.stderr


def run_worker_jobs() -> None:
    """What the worker role's jobs do, in this thread: announce quiet studies, relay the
    outbox to its consumers (notify plans the messages), send what is due."""
    with acting_as(Actor(name="worker", role="worker")):
        for _ in range(3):
            release_quiet_studies()
            outbox.relay_once()
            delivery.send_due()


def texts_to(sms_server, number):
    return [SIGNUP_LINK.sub("<sign-up link>", m["body"]) for m in sms_server.accepted
            if m["to"] == number]


def test_ris_and_modality_lead_to_exactly_one_message_each(listener, scp, sms_server,
                                                           mail_server, settings, tmp_path):
    report_text = ["FINDINGS: no pulmonary embolism.", "IMPRESSION: normal study."]
    assert send(listener.port, with_email(orm("J1", "ACC1"))) == ["AA"]
    settings.DICOM_STUDY_QUIET_SECONDS = 3600  # the scanner may still be sending
    images = scanned_images(tmp_path, "ACC1")
    modality_sends(scp.port, images)
    study = Study.objects.get(study_instance_uid=STUDY_UID)
    assert (study.order, study.instance_count) == (Order.objects.get(accession_number="ACC1"), 3)
    run_worker_jobs()
    assert texts_to(sms_server, PHONE) == []  # not quiet yet: nothing announced

    settings.DICOM_STUDY_QUIET_SECONDS = 0  # the study has been quiet long enough
    run_worker_jobs()
    modality_sends(scp.port, images)  # sent again (by the PACS): stored once, no new message
    run_worker_jobs()
    assert texts_to(sms_server, PHONE) == [
        "Springfield Imaging: your CT images are ready to view: <sign-up link>"]
    assert [m["Subject"] for m in mail_server.to(EMAIL)] == ["Your CT images are ready"]

    routine_report = with_email(oru("J2", "ACC1", report_text))
    assert send(listener.port, routine_report, routine_report) == ["AA", "AA"]  # retransmitted
    assert send(listener.port, with_email(orm("J3", "ACC2", priority="S"))) == ["AA"]
    # The centre's staff enter the ordering physician's contact details once.
    Practitioner.objects.filter(identifier="1234567").update(
        phone="(217) 555-0199", email="dr.smith@clinic.example")
    assert send(listener.port, with_email(oru("J4", "ACC2", ["STAT: large PE."]))) == ["AA"]
    run_worker_jobs()

    assert sorted(texts_to(sms_server, PHONE)) == sorted([
        "Springfield Imaging: your CT images are ready to view: <sign-up link>",
        "Springfield Imaging: your CT report is complete. View it securely: <sign-up link>",
        "Springfield Imaging: your CT report is complete. View it securely: <sign-up link>",
    ])  # images of ACC1, report of ACC1, report of ACC2: one each
    assert sorted(m["Subject"] for m in mail_server.to(EMAIL)) == [
        "Your CT images are ready", "Your CT report is complete", "Your CT report is complete"]
    stat_order = Order.objects.get(accession_number="ACC2")
    assert texts_to(sms_server, "+12175550199") == [
        "Springfield Imaging STAT: final CT report for accession ACC2 is available: "
        f"https://radbridge.example/studies/{stat_order.id}/"]
    assert [m["Subject"] for m in mail_server.to("dr.smith@clinic.example")] == [
        "STAT final report: accession ACC2"]
    without_links = [SIGNUP_LINK.sub("", body) for body in texts_to(sms_server, PHONE)]
    assert not any("embolism" in body or "PE" in body for body in without_links)
    assert Delivery.objects.exclude(status="sent").count() == 0
    assert Study.objects.get().instance_count == 3
