"""Orders placed in RadBridge reach the RIS as ORM^O01, once, with retries and a dead letter."""

import pytest

from radbridge.clinical import services
from radbridge.clinical.data import IdentifierData, OrderData, PatientData
from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.models import OutboundMessage
from radbridge.hl7.outbound import send_due
from radbridge.hl7.wire import parse_message
from tests.hl7.ris import FakeRIS, free_port

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ris(settings):
    running = FakeRIS()
    settings.HL7_OUTBOUND_TARGET = f"127.0.0.1:{running.port}"
    settings.HL7_OUTBOUND_MAX_ATTEMPTS = 3
    yield running
    running.close()


def place_portal_order(accession="WEB1", who="user:dr.wong"):
    with acting_as(Actor(name=who, role="physician")):
        services.place_order(
            OrderData(
                accession_number=accession,
                patient=PatientData([IdentifierData("MRN9", "MERCY", "MR")], "Roe", "Ann"),
                procedure_code="MRBRAIN",
                procedure_text="MR brain",
                priority="stat",
                reason="headache",
            )
        )
    with acting_as(Actor(name="worker", role="worker")):
        outbox.relay_once()
        outbox.relay_once()  # a second relay must not queue it again
        return send_due()


def test_portal_order_reaches_the_ris_as_orm_once(ris):
    assert place_portal_order() == 1
    assert len(ris.received) == 1
    message = parse_message(ris.received[0])
    assert message.message_type == "ORM^O01"
    assert message.segment("PID").value(3) == "MRN9"
    obr = message.segment("OBR")
    assert (obr.value(4, 1), obr.value(18), obr.value(27, 6)) == ("MRBRAIN", "WEB1", "S")
    assert OutboundMessage.objects.get().status == "sent"


def test_orders_that_came_from_the_ris_are_not_echoed_back(ris):
    place_portal_order(who="hl7:RIS|MERCY")
    assert ris.received == []
    assert not OutboundMessage.objects.exists()


def test_unreachable_ris_is_retried_then_dead_lettered(settings):
    settings.HL7_OUTBOUND_TARGET = f"127.0.0.1:{free_port()}"
    settings.HL7_OUTBOUND_MAX_ATTEMPTS = 2
    place_portal_order()
    message = OutboundMessage.objects.get()
    assert message.status == "retrying" and "cannot connect" in message.last_error
    OutboundMessage.objects.update(next_attempt_at=message.created_at)
    with acting_as(Actor(name="worker")):
        send_due()
    message.refresh_from_db()
    assert message.status == "dead" and message.attempts == 2


def test_ris_refusal_dead_letters_at_once(ris):
    ris.answer = "AE"
    place_portal_order()
    message = OutboundMessage.objects.get()
    assert message.status == "dead"
    assert "refused" in message.last_error and "test RIS says so" in message.last_error


def test_ris_busy_answer_is_retried(ris):
    ris.answer = "AR"
    place_portal_order()
    assert OutboundMessage.objects.get().status == "retrying"
