"""Group commit of the index: instances arriving together share one folder fsync and one
transaction, and each sender hears "success" only after the commit that holds its row.

The association that finds no commit in progress leads: it takes whatever instances are
waiting (its own included), fsyncs the folders their new names live in (the renames are
then on disk), writes their rows and commits; the others wait for that commit or lead the
next. One association commits in its own thread (no hand-over: on a busy machine every
thread wake-up costs a scheduling delay); several share fsyncs and commits. Rows get a
savepoint each only when a duplicate raced in. If the database fails, every file of the
batch is removed again and every sender gets the failure status: nothing indexed is missing
from disk, nothing on disk is unknown to the index.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, connection, transaction

from radbridge.core import audit
from radbridge.core.audit import Actor, acting_as

from .header import STATUS_PROCESSING_FAILURE, Header, StoreError
from .indexing import (
    Stored,
    already_stored,
    database_unavailable,
    index_instance,
    index_lock,
    out_of_resources,
    stored,
)
from .storage import dicom_storage, fsync_directory

log = logging.getLogger(__name__)
LARGEST_BATCH = 64


@dataclass
class Arrival:
    """One written instance waiting for its index row."""

    header: Header
    name: str
    size: int
    folder: str | None  # to fsync before the commit (None: the storage made it durable)
    actor: Actor
    done: bool = False
    result: Stored | None = None
    error: StoreError | None = None


class IndexWriter:
    """Leader-follower group commit: the association that finds no commit in progress
    commits whatever is waiting (its own instance first) in its own thread; the others
    wait, and the next of them leads the next batch. One association never waits on
    another thread; several share fsyncs and commits."""

    def __init__(self):
        self.condition = threading.Condition()
        self.waiting: list[Arrival] = []
        self.leading = False

    def submit(self, arrival: Arrival) -> Stored:
        """Wait until the instance is indexed and committed; raise StoreError if not."""
        with self.condition:
            self.waiting.append(arrival)
            while self.leading and not arrival.done:
                self.condition.wait()
            if not arrival.done:
                self.leading = True
                batch, self.waiting = self.waiting[:LARGEST_BATCH], self.waiting[LARGEST_BATCH:]
        if not arrival.done:
            try:
                commit(batch)
            except Exception:
                log.exception("indexing a batch of %d instances failed", len(batch))
                fail(batch, StoreError(STATUS_PROCESSING_FAILURE,
                                       "processing failure: see the RadBridge log"))
            finally:
                with self.condition:
                    for done in batch:
                        done.done = True
                    self.leading = False
                    self.condition.notify_all()
        if arrival.error is not None:
            raise arrival.error
        return arrival.result


def commit(batch: list[Arrival]) -> None:
    try:
        for folder in {a.folder for a in batch if a.folder}:
            fsync_directory(folder)  # the renames are on disk before any row commits
    except OSError as error:
        fail(batch, out_of_resources(error))
        return
    connection.close_if_unusable_or_obsolete()
    try:
        try:
            duplicates = index_batch(batch, one_by_one=False)
        except IntegrityError:
            # Another association stored one of these a moment ago: again, each instance in
            # its own savepoint, so the others still go in.
            duplicates = index_batch(batch, one_by_one=True)
    except DatabaseError as error:
        fail(batch, database_unavailable(error))
        return
    for arrival in duplicates:
        try:
            arrival.result = already_stored(arrival.header)
        except StoreError as error:
            arrival.error = error
        if arrival.result is None and arrival.error is None:
            arrival.error = database_unavailable(IntegrityError("row vanished"))


def index_batch(batch: list[Arrival], one_by_one: bool) -> list[Arrival]:
    """Index the batch in one transaction; returns the arrivals found already indexed
    (only when `one_by_one`: else the IntegrityError is raised)."""
    duplicates, entries = [], []
    with index_lock(), transaction.atomic():
        for arrival in batch:
            arrival.result = None
            with acting_as(arrival.actor):
                try:
                    with transaction.atomic() if one_by_one else contextlib.nullcontext():
                        instance_id = index_instance(arrival.header, arrival.name,
                                                     arrival.size, arrival.actor.name, entries)
                except IntegrityError:
                    if not one_by_one:
                        raise
                    duplicates.append(arrival)
                    continue
            arrival.result = stored(instance_id, arrival.header, duplicate=False)
        audit.record_all(entries)
    return duplicates


def fail(batch: list[Arrival], error: StoreError) -> None:
    storage = dicom_storage()
    for arrival in batch:
        arrival.error, arrival.result = error, None
        try:
            storage.delete(arrival.name)  # nothing on disk that the index does not know
        except OSError as failure:
            log.error("could not remove %s after a failed index: %s", arrival.name, failure)
