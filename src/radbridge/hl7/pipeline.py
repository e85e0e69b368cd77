"""The writers between the asyncio listener and the database.

Connections hand their messages to one thread that takes everything queued at that moment
and journals it in one transaction ("group commit"): under load one fsync covers many
messages, while a lone message still commits at once. Order is kept: per connection,
messages are queued in the order they were read, and the thread works the queue in order.
Accept-mode messages are ACKed after that commit and applied by the same thread, in journal
order, when senders pause (and at most 10 s behind under a steady stream).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time

from django.db import DatabaseError, close_old_connections, connection

from radbridge.core.audit import Actor, acting_as

from .ingest import (
    Outcome,
    Received,
    ack_codes,
    apply_journaled,
    apply_one,
    error_ack,
    header_for_answer,
    ingest_batch,
)
from .wire import HL7Error

log = logging.getLogger(__name__)
MAX_BATCH = 256
# Accept mode: apply when senders pause this long, and at the latest once the oldest
# accepted message has waited this long, so acknowledging stays fast under a burst
# while the backlog (durable in the journal, visible in `hl7 stats`) stays bounded.
IDLE_BEFORE_APPLY = 0.005
MAX_APPLY_LAG = 10.0
STOP = object()


def drain(source: queue.SimpleQueue, timeout: float | None = None) -> tuple[list, bool]:
    """Wait for one entry, then take what else is queued; (entries, stop was asked)."""
    try:
        batch = [source.get(timeout=timeout)]
    except queue.Empty:
        return [], False
    while len(batch) < MAX_BATCH:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    stopping = any(entry is STOP for entry in batch)
    return [entry for entry in batch if entry is not STOP], stopping


class IngestPipeline:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.run, name="hl7-ingest", daemon=True)
        # Accepted and ACKed, not yet applied, in journal order: id -> (message, accepted at).
        self.to_apply: dict[int, tuple] = {}

    def start(self) -> None:
        self.thread.start()

    async def submit(self, item: Received) -> Outcome:
        future = self.loop.create_future()
        self.queue.put((item, future))
        return await future

    def stop(self) -> None:
        """Finish what is queued, then end the thread."""
        self.queue.put(STOP)
        self.thread.join(timeout=300)

    def run(self) -> None:
        """One database thread: journal (and ACK) first; apply accepted messages in the gaps.

        One writer means no lock contention on SQLite, and a waiting sender is never held
        up by more than one message being applied.
        """
        with acting_as(Actor(name="hl7:listener", role="interface")):
            self.apply_leftovers()
            while True:
                if self.to_apply and self.apply_lag() > MAX_APPLY_LAG:
                    self.apply_next()  # a steady stream must not starve applying
                # With work to apply, wait only briefly for the next message before applying.
                batch, stopping = drain(self.queue, IDLE_BEFORE_APPLY if self.to_apply else None)
                if batch:
                    self.process(batch)
                elif self.to_apply and not stopping:
                    self.apply_next()
                if stopping:
                    while self.to_apply:
                        self.apply_next()
                    connection.close()
                    return

    def apply_leftovers(self) -> None:
        try:
            apply_journaled()  # accept-mode messages left from before a crash
        except DatabaseError:
            log.exception("could not apply journaled messages at start")

    def apply_lag(self) -> float:
        _, accepted_at = next(iter(self.to_apply.values()))
        return time.monotonic() - accepted_at

    def apply_next(self) -> None:
        journal_id = next(iter(self.to_apply))
        message, _ = self.to_apply.pop(journal_id)
        try:
            apply_one(journal_id, message)  # checks, under a row lock, that it is still due
        except DatabaseError:
            log.exception("applying journal #%d failed; it stays in the journal", journal_id)
            close_old_connections()

    def process(self, batch: list) -> None:
        items = [item for item, _ in batch]
        try:
            outcomes = ingest_batch(items)
        except DatabaseError as error:
            # Nothing was journaled: tell every sender to try again, never AA.
            log.error("journal write failed for %d messages: %s", len(items), error)
            close_old_connections()
            outcomes = [unstored_outcome(item, error) for item in items]
        # One wake-up of the event loop for the whole batch.
        self.loop.call_soon_threadsafe(resolve, [future for _, future in batch], outcomes)
        for outcome in outcomes:
            if outcome.status == "received":
                self.to_apply[outcome.journal_id] = (outcome.message, time.monotonic())


def resolve(futures: list[asyncio.Future], outcomes: list[Outcome]) -> None:
    for future, outcome in zip(futures, outcomes, strict=True):
        if not future.done():
            future.set_result(outcome)


def unstored_outcome(item: Received, error: Exception) -> Outcome:
    message = header_for_answer(item.raw)
    reason = HL7Error(
        f"RadBridge could not store the message ({type(error).__name__}); nothing was "
        "applied: send it again later",
        code="207",
    )
    return Outcome(error_ack(message, ack_codes(message)[2], reason), "AR", "unstored")
