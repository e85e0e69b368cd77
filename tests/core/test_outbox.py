"""The transactional outbox: events commit with their change and reach each consumer once."""

import pytest
from django.db import transaction

from radbridge.core import outbox
from radbridge.core.models import OutboxEvent, OutboxFailure, OutboxReceipt


@pytest.fixture
def consumer_calls():
    calls = []
    saved = dict(outbox._consumers)
    outbox._consumers.clear()
    yield calls
    outbox._consumers.clear()
    outbox._consumers.update(saved)


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused(actor):
    with pytest.raises(outbox.OutsideTransactionError):
        outbox.emit("x.happened", "x", 1)
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_of_a_rolled_back_change_are_never_delivered(actor, consumer_calls):
    outbox.register_consumer("test", ["x.happened"], consumer_calls.append)
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.emit("x.happened", "x", 1)
        raise RuntimeError("the unit of work failed")
    assert outbox.relay_once() == 0
    assert consumer_calls == []


@pytest.mark.django_db(transaction=True)
def test_each_event_reaches_each_consumer_once_across_relays(actor, consumer_calls):
    outbox.register_consumer("one", ["x.happened"], consumer_calls.append)
    outbox.register_consumer("two", ["x.happened"], consumer_calls.append)
    with transaction.atomic():
        outbox.emit("x.happened", "x", 1)
        outbox.emit("y.ignored", "y", 2)
    assert outbox.relay_once() == 2
    assert outbox.relay_once() == 0
    assert len(consumer_calls) == 2
    assert OutboxReceipt.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_failing_consumer_is_retried_later_with_its_error_recorded(actor, consumer_calls):
    def flaky(event):
        consumer_calls.append(event)
        if len(consumer_calls) == 1:
            raise ConnectionError("provider down")

    outbox.register_consumer("flaky", ["x.happened"], flaky)
    with transaction.atomic():
        outbox.emit("x.happened", "x", 1)
    assert outbox.relay_once() == 0
    failure = OutboxFailure.objects.get()
    assert "provider down" in failure.error
    assert failure.attempts == 1
    assert outbox.relay_once() == 0  # not due yet: backoff
    OutboxFailure.objects.update(next_attempt_at=failure.next_attempt_at.replace(year=2000))
    assert outbox.relay_once() == 1
    assert not OutboxFailure.objects.exists()
    assert OutboxReceipt.objects.count() == 1
