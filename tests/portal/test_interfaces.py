"""The interface monitor: journal search, raw and parsed side by side (an audited read),
replay of a failed message, the outbound queue's retry, reconciliation, system health.
Only administrators see it (others: 404); front desk staff reconcile."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Order
from radbridge.core import outbox
from radbridge.core.health import HeartbeatThread, beat, outbox_lag
from radbridge.core.models import AuditEntry, Heartbeat, OutboxEvent
from radbridge.hl7.ingest import Received, ingest_batch
from radbridge.hl7.models import InboundMessage, OutboundMessage
from radbridge.imaging.models import Study
from tests.hl7.helpers import message, msh, orm, pid
from tests.personas import (
    make_centre_admin,
    make_location,
    make_order,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)

pytestmark = pytest.mark.django_db


def status_change(control_id: str, accession: str, status: str = "IP") -> str:
    """ORC SC without an OBR: only a status change for an order the RIS sent before."""
    return message(msh("ORM^O01", control_id), pid(),
                   f"ORC|SC|PL{accession}^EPIC|{accession}^RIS||{status}")


def receive(text: str) -> InboundMessage:
    (outcome,) = ingest_batch([Received(text.encode(), "mllp", "127.0.0.1:5000")])
    return InboundMessage.objects.get(pk=outcome.journal_id)


@pytest.fixture
def failed():
    """A status change for an order the RIS has not sent yet: it fails, and applies once the
    order has arrived."""
    return receive(status_change("STATUS1", "ACC900"))


def test_status_change_for_unknown_order_fails(failed):
    assert failed.status == "failed" and "ACC900" in failed.error


def test_journal_search_by_control_id_type_sender_and_status(centre_admin_client, failed):
    receive(orm("ORDER1", "ACC901"))
    page = centre_admin_client.get("/interfaces/journal/", {"status": "failed"}).content.decode()
    assert "STATUS1" in page and "ORDER1" not in page
    page = centre_admin_client.get("/interfaces/journal/", {"control_id": "order1",
                                                     "message_type": "ORM",
                                                     "sender": "RIS"}).content.decode()
    assert "ORDER1" in page and "STATUS1" not in page
    assert "No message matches" in centre_admin_client.get(
        "/interfaces/journal/", {"sender": "NOBODY"}).content.decode()


def test_journal_search_answers_htmx_with_the_rows_only(centre_admin_client, failed):
    response = centre_admin_client.get("/interfaces/journal/", {"status": "failed"},
                                headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "STATUS1" in page and "<html" not in page


def test_journal_search_with_reversed_dates_gets_a_clear_error(centre_admin_client):
    response = centre_admin_client.get("/interfaces/journal/", {"first_day": "2026-02-02",
                                                         "last_day": "2026-02-01"})
    assert response.status_code == 400 and "must be on or before" in response.content.decode()


def test_opening_an_entry_shows_raw_and_parsed_and_is_an_audited_read(centre_admin_client):
    receive(orm("ORDER2", "ACC902"))
    order = Order.objects.get(accession_number="ACC902")
    row = receive(status_change("STATUS2", "ACC902"))
    response = centre_admin_client.get(f"/interfaces/journal/{row.pk}/")
    page = response.content.decode()
    assert "PID-5" in page and "Patient name" in page and "DOE^JANE^Q" in page
    assert "MSH|^~\\&amp;|RIS|MERCY" in page
    read = AuditEntry.objects.get(action="read.hl7_message", object_id=str(row.pk))
    assert read.patient_id == order.patient_id


def test_unparseable_entry_still_shows_its_raw_text(centre_admin_client):
    row = receive("this is not HL7 at all")
    page = centre_admin_client.get(f"/interfaces/journal/{row.pk}/").content.decode()
    assert "this is not HL7 at all" in page and "Cannot parse" in page


def test_replay_applies_a_failed_message_once_its_cause_is_fixed(centre_admin_client, failed):
    response = centre_admin_client.post(f"/interfaces/journal/{failed.pk}/replay/", follow=True)
    assert "still failed" in response.content.decode()
    receive(orm("ORDER3", "ACC900"))
    response = centre_admin_client.post(f"/interfaces/journal/{failed.pk}/replay/", follow=True)
    assert "the message is applied" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status == "applied"
    assert Order.objects.get(accession_number="ACC900").status == "arrived"
    assert AuditEntry.objects.filter(action="hl7.replayed", object_id=str(failed.pk)).count() == 2


def test_dead_outbound_message_is_sent_again(centre_admin_client):
    message = OutboundMessage.objects.create(
        source_key="event:1", destination="127.0.0.1:1", message_type="ORM^O01",
        control_id="RB1", raw="MSH|", status="dead", attempts=5, next_attempt_at=timezone.now(),
        last_error="connection refused")
    page = centre_admin_client.get("/interfaces/outbound/", {"status": "dead"}).content.decode()
    assert "RB1" in page and "connection refused" in page
    centre_admin_client.post(f"/interfaces/outbound/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.status == "retrying"
    assert AuditEntry.objects.filter(action="hl7.outbound.retried").exists()


def test_acknowledged_outbound_message_is_not_sent_twice(centre_admin_client):
    message = OutboundMessage.objects.create(
        source_key="event:2", destination="127.0.0.1:1", message_type="ORM^O01",
        control_id="RB2", raw="MSH|", status="sent", ack_code="AA",
        next_attempt_at=timezone.now())
    response = centre_admin_client.post(f"/interfaces/outbound/{message.pk}/retry/", follow=True)
    assert "would duplicate" in response.content.decode()
    message.refresh_from_db()
    assert message.status == "sent"


def test_health_shows_roles_database_disk_and_lag(centre_admin_client):
    beat(["web", "worker"], timezone.now())
    page = centre_admin_client.get("/interfaces/").content.decode()
    assert "reachable" in page and "free of" in page
    roles = {line.split("</td>")[0] for line in page.split("<tr><td>")[1:]}
    assert {"web", "worker", "mllp", "dicom"} <= roles
    assert page.count("no heartbeat") >= 2  # mllp and dicom did not beat


def test_heartbeat_thread_beats_until_stopped(transactional_db):
    thread = HeartbeatThread(["mllp"])
    thread.start()
    while not Heartbeat.objects.filter(role="mllp").exists():
        thread.stopping.wait(0.05)
    thread.stop()
    assert not thread.is_alive()


def test_front_desk_links_a_study_to_its_order(client):
    order_text = orm("ORDER4", "ACC904")
    receive(order_text)
    Study.objects.create(study_instance_uid="1.2.840.1", accession_number="ACC9O4",
                         patient_name="DOE^JANE", reconciliation="unmatched")
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    page = client.get("/interfaces/reconciliation/").content.decode()
    assert "ACC9O4" in page and "DOE^JANE" in page
    assert AuditEntry.objects.filter(action="read.reconciliation").exists()
    response = client.post("/interfaces/reconciliation/decide/", {
        "study_instance_uid": "1.2.840.1", "action": "link", "accession_number": "NOPE"},
        follow=True)
    assert "no order has accession number" in response.content.decode()
    client.post("/interfaces/reconciliation/decide/", {
        "study_instance_uid": "1.2.840.1", "action": "link", "accession_number": "ACC904",
        "reason": "typo in the accession"})
    study = Study.objects.get(study_instance_uid="1.2.840.1")
    assert study.order.accession_number == "ACC904" and study.reconciliation == "matched"


def test_site_staff_see_no_other_sites_candidate_order(client):
    """A study whose patient disagrees with its order names that order as the candidate:
    staff of another site see the images to decide on, not that site's order."""
    north, south = make_site("North"), make_site("South")
    theirs = make_order(location=make_location(south))
    theirs.procedure_text = "MR pelvis"
    theirs.save()
    Study.objects.create(study_instance_uid="1.2.840.3", accession_number="X1",
                         patient_name="ROE^RICHARD", reconciliation="mismatch",
                         candidate_order=theirs)
    sign_in(client, make_staff(Role.FRONT_DESK, sites=[north]))
    page = client.get("/interfaces/reconciliation/").content.decode()
    assert "ROE^RICHARD" in page
    assert theirs.accession_number not in page and "MR pelvis" not in page
    sign_in(client, make_staff(Role.FRONT_DESK, sites=[south]))
    page = client.get("/interfaces/reconciliation/").content.decode()
    assert theirs.accession_number in page and "MR pelvis" in page


def test_rejecting_needs_a_reason(client):
    Study.objects.create(study_instance_uid="1.2.840.2", reconciliation="unmatched")
    sign_in(client, make_centre_admin())
    response = client.post("/interfaces/reconciliation/decide/", {
        "study_instance_uid": "1.2.840.2", "action": "reject"}, follow=True)
    assert "say why" in response.content.decode()
    client.post("/interfaces/reconciliation/decide/", {
        "study_instance_uid": "1.2.840.2", "action": "reject", "reason": "test images"})
    assert Study.objects.get(study_instance_uid="1.2.840.2").reconciliation == "rejected"


@pytest.mark.parametrize("url", ["/interfaces/", "/interfaces/journal/",
                                 "/interfaces/outbound/"])
@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.RADIOLOGIST, Role.PHYSICIAN])
def test_only_administrators_open_the_interface_monitor(client, failed, url, role):
    user = make_physician() if role == Role.PHYSICIAN else make_staff(role, all_sites=True)
    sign_in(client, user)
    assert client.get(url).status_code == 404
    assert client.get(f"/interfaces/journal/{failed.pk}/").status_code == 404


def test_others_cannot_replay(client, failed):
    sign_in(client, make_staff(Role.TECHNOLOGIST, all_sites=True))
    assert client.post(f"/interfaces/journal/{failed.pk}/replay/").status_code == 404
    assert not AuditEntry.objects.filter(action="hl7.replayed").exists()


def test_physicians_cannot_reconcile(client):
    Study.objects.create(study_instance_uid="1.2.840.3", reconciliation="unmatched")
    sign_in(client, make_physician())
    assert client.get("/interfaces/reconciliation/").status_code == 404
    assert client.post("/interfaces/reconciliation/decide/", {
        "study_instance_uid": "1.2.840.3", "action": "reject", "reason": "x"}).status_code == 404


def test_unknown_journal_entry_is_404(centre_admin_client):
    assert centre_admin_client.get("/interfaces/journal/999999/").status_code == 404


def test_journal_page_queries_do_not_grow_with_the_journal(centre_admin_client):
    centre_admin_client.get("/interfaces/journal/")  # a first request loads the session
    counts = []
    for round_number in range(2):
        for number in range(10):
            receive(orm(f"Q{round_number}-{number}", f"ACCQ{round_number}{number}"))
        with CaptureQueriesContext(connection) as queries:
            assert centre_admin_client.get("/interfaces/journal/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_health_check_again_answers_htmx_with_the_panel_only(centre_admin_client):
    page = centre_admin_client.get("/interfaces/", headers={"HX-Request": "true"}).content.decode()
    assert "Checked at" in page and "<html" not in page


def test_health_shows_how_long_an_event_has_waited(centre_admin_client):
    with transaction.atomic():
        event = outbox.emit("order.placed", "order", 1)
    OutboxEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5))
    lags = {lag.consumer: lag.lag_seconds for lag in outbox_lag()}
    assert lags["hl7-outbound-orders"] >= 300
    assert "hl7-outbound-orders" in centre_admin_client.get("/interfaces/").content.decode()


def test_replay_all_failed_applies_those_whose_cause_is_fixed(centre_admin_client, failed):
    other = receive(status_change("STATUS9", "ACC909"))
    receive(orm("ORDER9", "ACC900"))  # only the first one's order arrives
    response = centre_admin_client.post("/interfaces/journal/replay-failed/", follow=True)
    assert "Replayed 2: 1 applied, 1 still failing" in response.content.decode()
    failed.refresh_from_db()
    other.refresh_from_db()
    assert (failed.status, other.status) == ("applied", "failed")


def test_others_cannot_replay_all(client, failed):
    sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True))
    assert client.post("/interfaces/journal/replay-failed/").status_code == 404
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_journal_search_by_dates_keeps_whole_days(centre_admin_client, failed):
    today = timezone.localdate()
    page = centre_admin_client.get("/interfaces/journal/", {"first_day": today.isoformat(),
                                                     "last_day": today.isoformat()})
    assert "STATUS1" in page.content.decode()
    yesterday = (today - timedelta(days=1)).isoformat()
    page = centre_admin_client.get("/interfaces/journal/", {"last_day": yesterday})
    assert "STATUS1" not in page.content.decode()


def test_a_huge_message_shows_its_beginning_and_says_so(centre_admin_client):
    notes = "".join(f"NTE|{n}||{'x' * 900}\r" for n in range(400))
    row = receive(orm("BIG1", "ACCBIG").rstrip("\r") + "\r" + notes)
    page = centre_admin_client.get(f"/interfaces/journal/{row.pk}/").content.decode()
    assert 'id="shortened"' in page and "300 segments" in page
    assert len(page) < 2_000_000
