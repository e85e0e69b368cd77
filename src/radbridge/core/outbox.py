"""Transactional outbox: domain changes and their events commit together.

Services call `emit(...)` inside their transaction. Consumers (notifications, outbound HL7,
webhooks) register here once, from their app's `ready()`, and the worker's relay hands each
event to each interested consumer after commit. A consumer's effect and its receipt commit
in one transaction, and the receipt's unique key makes a second delivery a no-op, so a
crash between "done" and "recorded" can only repeat work that is itself idempotent.

For throughput a consumer may also give `handle_batch`: the relay then hands it up to
`limit` events at once, inserting their receipts with one statement and committing once.
If anything in the batch fails (or another relay holds one of its receipts), the batch is
rolled back and its events are delivered one by one, so a bad event is isolated, recorded
and retried alone. Each relay round drains what is pending (bounded in time), rather than
one batch per round.

Each consumer keeps a cursor: the id below which nothing is left for it. The relay reads only
events above it, so its cost does not grow with the table. The cursor never passes an event
younger than CURSOR_GRACE: ids are taken at insert but rows become visible at commit, so a
long transaction can commit an event with a lower id than one already handled; the grace
period (far longer than any transaction) keeps such an event in view.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .audit import current_actor
from .models import OutboxCursor, OutboxEvent, OutboxFailure, OutboxReceipt

log = logging.getLogger(__name__)


class OutsideTransactionError(RuntimeError):
    """emit() was called outside a transaction: the event could commit without its change."""


def emit(topic: str, aggregate_type: str, aggregate_id: object, **payload: object) -> OutboxEvent:
    if not connection.in_atomic_block:
        raise OutsideTransactionError(f"emit({topic!r}) must run inside transaction.atomic()")
    return OutboxEvent.objects.create(
        topic=topic,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        payload=payload,
        actor=current_actor().name,
    )


@dataclass(frozen=True)
class Consumer:
    name: str
    topics: frozenset[str]
    handle: Callable[[OutboxEvent], None]
    max_attempts: int = 12
    handle_batch: Callable[[list[OutboxEvent]], None] | None = None


_consumers: dict[str, Consumer] = {}


def register_consumer(
    name: str,
    topics: Iterable[str],
    handle: Callable[[OutboxEvent], None],
    max_attempts=12,
    handle_batch: Callable[[list[OutboxEvent]], None] | None = None,
) -> None:
    _consumers[name] = Consumer(name, frozenset(topics), handle, max_attempts, handle_batch)


def consumers() -> list[Consumer]:
    return list(_consumers.values())


def backoff_delay(attempt: int, base_seconds: float = 2.0, cap_seconds: float = 3600.0) -> float:
    """Exponential backoff with full jitter, so many failing events do not retry in step."""
    return random.uniform(0, min(cap_seconds, base_seconds * 2**attempt))


CURSOR_GRACE = timedelta(minutes=10)


def open_events(consumer: Consumer, after: int = 0):
    """Events this consumer has not handled and has not given up on, above `after`."""
    return (
        OutboxEvent.objects.filter(id__gt=after, topic__in=consumer.topics)
        .exclude(receipts__consumer=consumer.name)
        .exclude(failures__consumer=consumer.name, failures__attempts__gte=consumer.max_attempts)
    )


def pending_events(consumer: Consumer, limit: int = 100, after: int = 0) -> list[OutboxEvent]:
    now = timezone.now()
    return list(
        open_events(consumer, after)
        .exclude(failures__consumer=consumer.name, failures__next_attempt_at__gt=now)
        .order_by("id")[:limit]
    )


def cursor_position(consumer: Consumer) -> int:
    row = OutboxCursor.objects.filter(consumer=consumer.name).values_list("position").first()
    return row[0] if row else 0


def advance_cursor(consumer: Consumer, position: int) -> None:
    """Move the cursor up to the first event still open or younger than the grace period."""
    horizon = timezone.now() - CURSOR_GRACE
    first_open = open_events(consumer, position).order_by("id").values_list("id").first()
    first_recent = (
        OutboxEvent.objects.filter(id__gt=position, created_at__gte=horizon)
        .order_by("id").values_list("id").first()
    )
    limits = [row[0] - 1 for row in (first_open, first_recent) if row]
    if not limits:  # nothing open and nothing recent: everything above is old and handled
        last = OutboxEvent.objects.filter(id__gt=position).order_by("-id").values_list("id")
        limits = [row[0] for row in last[:1]]
    new_position = min(limits) if limits else position
    if new_position > position:
        OutboxCursor.objects.update_or_create(
            consumer=consumer.name, defaults={"position": new_position}
        )


def deliver(consumer: Consumer, event: OutboxEvent) -> bool:
    """Hand one event to one consumer; True when handled (now or before)."""
    try:
        with transaction.atomic():
            OutboxReceipt.objects.create(event=event, consumer=consumer.name)
            consumer.handle(event)
    except IntegrityError:
        return True  # another worker recorded it first: already handled
    except Exception as error:  # noqa: BLE001 - any consumer failure is recorded and retried
        record_failure(consumer, event, error)
        return False
    OutboxFailure.objects.filter(event=event, consumer=consumer.name).delete()
    return True


def deliver_batch(consumer: Consumer, events: list[OutboxEvent]) -> int:
    """Hand events to a batch consumer in one transaction; one by one if that fails."""
    try:
        with transaction.atomic():
            OutboxReceipt.objects.bulk_create(
                [OutboxReceipt(event=event, consumer=consumer.name) for event in events]
            )
            consumer.handle_batch(events)
    except Exception as error:  # noqa: BLE001 - the one-by-one pass records the culprit
        log.info("consumer %s: batch of %d failed (%s); delivering one by one",
                 consumer.name, len(events), error)
        return sum(deliver(consumer, event) for event in events)
    OutboxFailure.objects.filter(event__in=events, consumer=consumer.name).delete()
    return len(events)


def record_failure(consumer: Consumer, event: OutboxEvent, error: Exception) -> None:
    failure, _ = OutboxFailure.objects.get_or_create(
        event=event,
        consumer=consumer.name,
        defaults={"error": "", "next_attempt_at": timezone.now()},
    )
    failure.attempts += 1
    failure.error = f"{type(error).__name__}: {error}"[:2000]
    failure.next_attempt_at = timezone.now() + timedelta(seconds=backoff_delay(failure.attempts))
    failure.save()
    log.warning(
        "consumer %s failed on event %s (%s), attempt %d: %s",
        consumer.name,
        event.id,
        event.topic,
        failure.attempts,
        failure.error,
    )


def relay_once(limit: int = 100, max_seconds: float = 2.0) -> int:
    """Deliver what is pending to every consumer, batch after batch for at most about
    `max_seconds` per consumer; returns how many deliveries succeeded."""
    delivered = 0
    for consumer in consumers():
        deadline = time.monotonic() + max_seconds
        position = cursor_position(consumer)
        while True:
            events = pending_events(consumer, limit, after=position)
            if consumer.handle_batch is not None and len(events) > 1:
                delivered += deliver_batch(consumer, events)
            else:
                delivered += sum(deliver(consumer, event) for event in events)
            if len(events) < limit or time.monotonic() > deadline:
                break
        advance_cursor(consumer, position)
    return delivered
