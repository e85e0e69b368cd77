"""Transactional outbox: domain changes and their events commit together.

Services call `emit(...)` inside their transaction. Consumers (notifications, outbound HL7,
webhooks) register here once, from their app's `ready()`, and the worker's relay hands each
event to each interested consumer after commit. A consumer's effect and its receipt commit
in one transaction, and the receipt's unique key makes a second delivery a no-op, so a
crash between "done" and "recorded" can only repeat work that is itself idempotent.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .audit import current_actor
from .models import OutboxEvent, OutboxFailure, OutboxReceipt

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


_consumers: dict[str, Consumer] = {}


def register_consumer(
    name: str, topics: Iterable[str], handle: Callable[[OutboxEvent], None], max_attempts=12
) -> None:
    _consumers[name] = Consumer(name, frozenset(topics), handle, max_attempts)


def consumers() -> list[Consumer]:
    return list(_consumers.values())


def backoff_delay(attempt: int, base_seconds: float = 2.0, cap_seconds: float = 3600.0) -> float:
    """Exponential backoff with full jitter, so many failing events do not retry in step."""
    return random.uniform(0, min(cap_seconds, base_seconds * 2**attempt))


def pending_events(consumer: Consumer, limit: int = 100) -> list[OutboxEvent]:
    now = timezone.now()
    return list(
        OutboxEvent.objects.filter(topic__in=consumer.topics)
        .exclude(receipts__consumer=consumer.name)
        .exclude(failures__consumer=consumer.name, failures__next_attempt_at__gt=now)
        .exclude(failures__consumer=consumer.name, failures__attempts__gte=consumer.max_attempts)
        .order_by("id")[:limit]
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


def relay_once(limit: int = 100) -> int:
    """Deliver what is pending to every consumer; returns how many deliveries succeeded."""
    delivered = 0
    for consumer in consumers():
        for event in pending_events(consumer, limit):
            delivered += deliver(consumer, event)
    return delivered
