"""What happened on one association, for the operator whose modality says "send failed".

The wire layer fills an AssociationRecord as the association runs (on the C-STORE path only
counters are incremented) and, once the last PDU went out and the socket is closed, gives it
to the Recorder. The Recorder hands records to the application in a thread of its own, so
that writing them down never delays a peer, the accept loop, or the next association; a
failure there is logged and the server serves on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# How an association ended.
RELEASED = "released"
ABORTED_BY_PEER = "aborted_by_peer"  # an A-ABORT, or the connection closed without release
ABORTED = "aborted"  # by us: the peer broke the protocol (the reason says how)
REJECTED = "rejected"  # A-ASSOCIATE-RJ: AE titles or protocol version
REFUSED = "refused"  # address not allowed, or too many associations
TIMED_OUT = "timed_out"  # silent longer than the network timeout

NO_ACCEPTABLE_CONTEXT = "no acceptable presentation context"
REASON_LIMIT = 500


@dataclass(slots=True)
class AssociationRecord:
    peer_address: str
    started_at: float = field(default_factory=time.time)  # wall clock, for the row
    started: float = field(default_factory=time.monotonic)  # for the duration
    calling_ae_title: str = ""
    called_ae_title: str = ""
    outcome: str = ""
    reason: str = ""
    # C-STOREs answered with success (new instances), with a failure status, and those
    # answered with success because the instance was already stored: disjoint counts.
    stores_succeeded: int = 0
    stores_failed: int = 0
    stores_duplicate: int = 0
    echoes: int = 0
    bytes_received: int = 0
    duration_seconds: float = 0.0

    def note(self, reason: str) -> None:
        """Something the operator should know whatever the ending (kept with its reason)."""
        self.reason = (f"{self.reason}; {reason}" if self.reason else reason)[:REASON_LIMIT]

    def end(self, outcome: str, reason: str = "") -> None:
        """The first ending counts: a later one (the socket closing) says nothing new."""
        if self.outcome:
            return
        self.outcome = outcome
        if reason:
            self.note(reason)
        self.duration_seconds = time.monotonic() - self.started


class Recorder:
    """One thread delivering finished records, in order, through a bounded queue: a flood of
    refused connections drops records (counted in the log), never memory or the accept loop.

    `idle` is called when no record came for `linger` seconds, and at stop: the application
    releases what delivering holds (its database connection)."""

    def __init__(self, deliver: Callable[[AssociationRecord], None],
                 idle: Callable[[], None], *, capacity: int = 1000, linger: float = 5.0):
        self.deliver, self.idle, self.linger = deliver, idle, linger
        self.records: queue.Queue[AssociationRecord | None] = queue.Queue(capacity)
        self.dropped = 0
        self.thread = threading.Thread(target=self.run, name="dicom-recorder", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def put(self, record: AssociationRecord) -> None:
        try:
            self.records.put_nowait(record)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.warning("DICOM association log behind: %d record(s) dropped", self.dropped)

    def run(self) -> None:
        while True:
            try:
                record = self.records.get(timeout=self.linger)
            except queue.Empty:
                self.call(self.idle)
                continue
            if record is None:
                self.call(self.idle)
                return
            self.call(self.deliver, record)

    def call(self, function: Callable, *args) -> None:
        try:
            function(*args)
        except Exception:  # noqa: BLE001 - the application's failure must not end the recorder
            log.exception("DICOM association log: %s failed", getattr(function, "__name__", ""))

    def stop(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within `timeout`), then end the thread."""
        if not self.thread.is_alive():
            return
        try:
            self.records.put(None, timeout=timeout)
        except queue.Full:
            log.warning("DICOM association log: stopped with records undelivered")
            return
        self.thread.join(timeout)
