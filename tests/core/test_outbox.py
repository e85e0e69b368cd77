"""The transactional outbox: events commit with their change and reach each consumer once."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from radbridge.core import outbox
from radbridge.core.models import OutboxCursor, OutboxEvent, OutboxFailure, OutboxReceipt


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


@pytest.mark.django_db(transaction=True)
def test_cursor_passes_old_handled_events_so_the_relay_does_not_rescan(actor, consumer_calls):
    outbox.register_consumer("one", ["x.happened"], consumer_calls.append)
    with transaction.atomic():
        events = [outbox.emit("x.happened", "x", n) for n in range(3)]
    assert outbox.relay_once() == 3
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(hours=1))
    outbox.relay_once()
    assert OutboxCursor.objects.get(consumer="one").position == events[-1].id
    with transaction.atomic():
        outbox.emit("x.happened", "x", 9)
    assert outbox.relay_once() == 1 and len(consumer_calls) == 4


@pytest.mark.django_db(transaction=True)
def test_event_that_becomes_visible_late_with_a_lower_id_is_still_delivered(
    actor, consumer_calls
):
    outbox.register_consumer("one", ["x.happened"], consumer_calls.append)
    with transaction.atomic():
        first, late, last = (outbox.emit("x.happened", "x", n) for n in range(3))
    # `late` stands for a long transaction's event: invisible until it commits.
    OutboxEvent.objects.filter(id=late.id).update(topic="not.yet.committed")
    OutboxEvent.objects.exclude(id=late.id).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    assert outbox.relay_once() == 2
    assert OutboxCursor.objects.get(consumer="one").position == late.id - 1
    OutboxEvent.objects.filter(id=late.id).update(topic="x.happened")
    assert outbox.relay_once() == 1
    assert sorted(e.id for e in consumer_calls) == [first.id, late.id, last.id]


@pytest.mark.django_db(transaction=True)
def test_batch_consumer_failure_isolates_the_bad_event(actor, consumer_calls):
    def one(event):
        if event.aggregate_id == "1":
            raise ValueError("bad event")
        consumer_calls.append(event)

    def batch(events):
        for event in events:
            one(event)

    outbox.register_consumer("batched", ["x.happened"], one, handle_batch=batch)
    with transaction.atomic():
        for n in range(3):
            outbox.emit("x.happened", "x", n)
    assert outbox.relay_once() == 2
    handled = OutboxReceipt.objects.values_list("event__aggregate_id", flat=True)
    assert sorted(handled) == ["0", "2"]  # the batch's writes were rolled back, then one by one
    assert "bad event" in OutboxFailure.objects.get().error
