"""Webhooks: a signed FHIR notification Bundle per (event, subscription), exactly once,
retried with backoff and jitter, dead-lettered, only for what the owner may see."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from radbridge.clinical.models import Order, Report
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import AuditEntry
from radbridge.fhir import subscriptions
from radbridge.fhir.models import WebhookDelivery, WebhookSubscription
from radbridge.fhir.services import WebhookError, register_webhook
from radbridge.imaging.availability import announce_available
from radbridge.imaging.models import Study
from tests.fhir.conftest import ingest, validate
from tests.fhir.webhook_receiver import WebhookReceiver
from tests.hl7.helpers import orm, oru
from tests.hl7.ris import free_port
from tests.imaging.helpers import receive
from tests.personas import make_integration, make_physician, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():
    running = WebhookReceiver()
    yield running
    running.close()


def subscribe(url, owner=None, content="full-resource", topics=("report.finalized",)):
    owner = owner or make_integration(username="hook-owner")
    with acting_as(Actor(name="test:admin")):
        return register_webhook("EHR", url, list(topics), owner, content)


def work():
    """What the worker does: relay the outbox (twice: a second relay must add nothing),
    then send due deliveries."""
    with acting_as(Actor(name="worker", role="worker")):
        outbox.relay_once()
        outbox.relay_once()
        return subscriptions.send_due()


def make_due():
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def finalize(accession="ACC1", mrn="MRN100"):
    ingest(
        orm(f"O{accession}", accession, mrn=mrn),
        oru(f"R{accession}", accession, ["IMPRESSION: ok"], mrn=mrn),
    )


def verify(secret: str, headers: dict, body: bytes) -> bool:
    parts = dict(part.split("=", 1) for part in headers["X-RadBridge-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(parts["v1"], expected.hexdigest())


def test_finalized_report_is_posted_once_signed_as_a_fhir_notification(receiver):
    subscription = subscribe(receiver.url)
    finalize()
    assert work() == 1
    assert work() == 0
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert verify(subscription.secret, headers, body)
    assert headers["X-RadBridge-Event"] == "report.finalized"
    bundle = validate(json.loads(body))
    status, report = bundle["entry"]
    assert status["resource"]["resourceType"] == "Parameters"
    event = next(p for p in status["resource"]["parameter"] if p["name"] == "notification-event")
    focus = next(p for p in event["part"] if p["name"] == "focus")["valueReference"]["reference"]
    assert focus.endswith(f"DiagnosticReport/{Report.objects.get().pk}")
    assert report["resource"]["resourceType"] == "DiagnosticReport"
    assert WebhookDelivery.objects.get().status == "delivered"


def test_id_only_subscriptions_get_no_report_content(receiver):
    subscribe(receiver.url, content="id-only")
    finalize()
    work()
    bundle = json.loads(receiver.received[0][1])
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Parameters"]


def test_failed_delivery_is_retried_with_backoff_then_delivered(receiver):
    receiver.answers = [500, 503, 200]
    subscribe(receiver.url)
    finalize()
    before = timezone.now()
    assert work() == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("retrying", 1, 500)
    # Full jitter: somewhere between now and base * 2**attempts (+ the 1 s floor).
    assert before < delivery.next_attempt_at <= timezone.now() + timedelta(seconds=5)
    assert work() == 0  # not due yet: nothing is sent early
    assert len(receiver.received) == 1
    make_due()
    work()
    make_due()
    assert work() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    ids = {headers["X-RadBridge-Delivery"] for headers, _ in receiver.received}
    assert ids == {str(delivery.pk)}  # the same delivery id on every retry


def test_delivery_is_dead_lettered_after_the_last_attempt(receiver, settings):
    settings.FHIR_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500]
    subscribe(receiver.url)
    finalize()
    work()
    make_due()
    work()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("dead", 2)
    assert "HTTP 500" in delivery.last_error
    make_due()
    work()
    assert len(receiver.received) == 2


def test_unreachable_receiver_is_retried_and_the_error_kept(db):
    subscribe(f"http://127.0.0.1:{free_port()}/hook")
    finalize()
    work()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "retrying" and "Connect" in delivery.last_error


def test_two_subscriptions_each_get_the_event_once(receiver):
    other = WebhookReceiver()
    try:
        subscribe(receiver.url)
        subscribe(other.url, owner=make_integration(username="second"))
        finalize()
        assert work() == 2
        assert len(receiver.received) == len(other.received) == 1
    finally:
        other.close()


def test_owner_who_may_not_see_the_report_gets_nothing(receiver):
    subscribe(receiver.url, owner=make_physician())  # not the ordering doctor
    finalize()
    work()
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == "skipped"


def receive_study(accession="IMG1", uid="1.2.826.0.1.3680043.10.9.1"):
    """Images over the imaging app's own path (stored, indexed, matched), then complete."""
    for number in (1, 2):
        receive(uid, accession=accession, patient_id="MRN100", instance_number=number)
    with acting_as(Actor(name="worker", role="worker")):
        announce_available(Study.objects.get(study_instance_uid=uid).pk,
                           timezone.now() + timedelta(hours=1))
    return Study.objects.get(study_instance_uid=uid)


def test_images_available_notifies_with_the_study_and_its_order(receiver):
    subscribe(receiver.url, topics=("images.available",))
    ingest(orm("O1", "IMG1"))
    study = receive_study()
    assert work() == 1
    headers, body = receiver.received[0]
    assert headers["X-RadBridge-Event"] == "images.available"
    bundle = validate(json.loads(body))
    status, imaging, order = bundle["entry"]
    event = next(p for p in status["resource"]["parameter"] if p["name"] == "notification-event")
    focus = next(p for p in event["part"] if p["name"] == "focus")["valueReference"]["reference"]
    assert focus == f"http://localhost:8000/fhir/ImagingStudy/{study.pk}"
    assert imaging["resource"]["resourceType"] == "ImagingStudy"
    assert imaging["resource"]["status"] == "available"
    assert imaging["resource"]["numberOfInstances"] == 2
    assert order["resource"]["id"] == str(Order.objects.get(accession_number="IMG1").pk)
    disclosed = AuditEntry.objects.filter(action="read.fhir.webhook")
    assert sorted(disclosed.values_list("object_type", flat=True)) == [
        "ImagingStudy", "ServiceRequest"]
    assert {e.patient_id for e in disclosed} == {study.patient_id}


def test_images_of_a_patient_the_owner_may_not_see_are_not_sent(receiver):
    subscribe(receiver.url, owner=make_physician(), topics=("images.available",))
    ingest(orm("O1", "IMG1"))
    receive_study()
    work()
    assert receiver.received == []
    assert WebhookDelivery.objects.get().status == "skipped"
    assert not AuditEntry.objects.filter(action="read.fhir.webhook").exists()


def test_registration_refuses_plain_http_to_other_hosts_and_unknown_topics(db):
    owner = make_integration()
    with acting_as(Actor(name="test")):
        with pytest.raises(WebhookError, match="https"):
            register_webhook("x", "http://ehr.example.org/hook", ["report.finalized"], owner)
        with pytest.raises(WebhookError, match="topics"):
            register_webhook("x", "https://ehr.example.org/hook", ["report.deleted"], owner)


def test_cli_registers_lists_and_retries(receiver, capsys, settings):
    make_integration(username="integration")
    call_command(
        "fhir",
        "webhook",
        "add",
        "--name",
        "EHR",
        "--url",
        receiver.url,
        "--topic",
        "report.finalized",
        "--owner",
        "integration",
    )
    out = capsys.readouterr().out
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in out
    settings.FHIR_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers = [500, 200]
    finalize()
    work()
    assert WebhookDelivery.objects.get().status == "dead"
    call_command("fhir", "webhook", "retry")
    assert work() == 1
    call_command("fhir", "webhook", "deliveries", "--status", "delivered")
    assert "report.finalized" in capsys.readouterr().out


def test_admin_lists_dead_deliveries_and_retries_them(client, receiver, settings):
    settings.FHIR_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers = [500, 200]
    subscribe(receiver.url)
    finalize()
    work()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "dead"
    admin = User.objects.create_superuser("ops", password=None)
    sign_in(client, admin)
    assert client.get("/admin/fhir/webhooksubscription/").status_code == 200
    page = client.get("/admin/fhir/webhookdelivery/?status=dead")
    assert page.status_code == 200 and b"report.finalized" in page.content
    response = client.post(
        "/admin/fhir/webhookdelivery/",
        {"action": "retry_now", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    assert work() == 1
