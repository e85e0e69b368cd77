"""The writers between the asyncio listener and the database.

Connections hand their messages to one thread that takes everything queued at that moment
and journals it in one transaction ("group commit"): under load one fsync covers many
messages, while a lone message still commits at once. Order is kept: per connection,
messages are queued in the order they were read, and the thread works the queue in order.
Accept-mode messages are ACKed after that commit and applied by a second thread, in journal
order, so applying never holds up acknowledging.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from django.db import DatabaseError, close_old_connections, connection, transaction

from radbridge.core.audit import Actor, acting_as

from .ingest import (
    Outcome,
    Received,
    ack_codes,
    apply_journaled,
    error_ack,
    header_for_answer,
    ingest_batch,
)
from .wire import HL7Error

log = logging.getLogger(__name__)
MAX_BATCH = 256
STOP = object()


def drain(source: queue.SimpleQueue) -> tuple[list, bool]:
    """Wait for one entry, then take what else is queued; (entries, stop was asked)."""
    batch = [source.get()]
    while len(batch) < MAX_BATCH:
        try:
            batch.append(source.get_nowait())
        except queue.Empty:
            break
    stopping = any(entry is STOP for entry in batch)
    return [entry for entry in batch if entry is not STOP], stopping


class Applier:
    """Applies accept-mode messages after their ACK, oldest first, a batch per transaction."""

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.run, name="hl7-apply", daemon=True)

    def run(self) -> None:
        with acting_as(Actor(name="hl7:listener", role="interface")):
            try:
                apply_journaled()  # accept-mode messages left over from before a crash
            except DatabaseError:
                log.exception("could not apply journaled messages at start")
            while True:
                batch, stopping = drain(self.queue)
                if batch:
                    self.apply(dict(batch))
                if stopping:
                    connection.close()
                    return

    def apply(self, messages: dict) -> None:
        try:
            with transaction.atomic():
                apply_journaled(list(messages), messages)
        except DatabaseError:
            log.exception("applying accepted messages failed; they stay in the journal")
            close_old_connections()


class IngestPipeline:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.run, name="hl7-ingest", daemon=True)
        self.applier = Applier()

    def start(self) -> None:
        self.applier.thread.start()
        self.thread.start()

    async def submit(self, item: Received) -> Outcome:
        future = self.loop.create_future()
        self.queue.put((item, future))
        return await future

    def stop(self) -> None:
        """Finish what is queued, then end the thread."""
        self.queue.put(STOP)
        self.thread.join(timeout=60)
        self.applier.queue.put(STOP)
        self.applier.thread.join(timeout=300)

    def run(self) -> None:
        with acting_as(Actor(name="hl7:listener", role="interface")):
            while True:
                batch, stopping = drain(self.queue)
                if batch:
                    self.process(batch)
                if stopping:
                    connection.close()
                    return

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
                self.applier.queue.put((outcome.journal_id, outcome.message))


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
