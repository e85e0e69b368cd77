"""The single writer between the asyncio listener and the database.

Connections hand their messages to one thread that takes everything queued at that moment
and journals it in one transaction ("group commit"): under load one fsync covers many
messages, while a lone message still commits at once. Order is kept: per connection,
messages are queued in the order they were read, and the thread works the queue in order.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading

from django.db import DatabaseError, close_old_connections, connection

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


class IngestPipeline:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.run, name="hl7-ingest", daemon=True)

    def start(self) -> None:
        self.thread.start()

    async def submit(self, item: Received) -> Outcome:
        future = self.loop.create_future()
        self.queue.put((item, future))
        return await future

    def stop(self) -> None:
        """Finish what is queued, then end the thread."""
        self.queue.put(STOP)
        self.thread.join(timeout=60)

    def run(self) -> None:
        with acting_as(Actor(name="hl7:listener", role="interface")):
            try:
                apply_journaled()  # accept-mode messages left over from before a crash
            except DatabaseError:
                log.exception("could not apply journaled messages at start")
            while True:
                batch = [self.queue.get()]
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(self.queue.get_nowait())
                    except queue.Empty:
                        break
                stopping = any(entry is STOP for entry in batch)
                batch = [entry for entry in batch if entry is not STOP]
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
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            self.loop.call_soon_threadsafe(resolve, future, outcome)
        accepted = {o.journal_id: o.message for o in outcomes if o.status == "received"}
        if accepted:
            try:
                apply_journaled(list(accepted), accepted)
            except DatabaseError:
                log.exception("applying accepted messages failed; they stay in the journal")


def resolve(future: asyncio.Future, outcome: Outcome) -> None:
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
