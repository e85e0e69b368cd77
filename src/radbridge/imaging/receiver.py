"""What the SCP does with a C-STORE: stream it to a file, check it, make it durable, index it.

Each dataset fragment is written to an incoming file as it arrives (the Part 10 header first,
as pynetdicom's `encoded_dataset()` would write it), so an instance is never held in memory.
When the last fragment is in, the file is checked exactly as a STOW upload is (read through a
memory map, up to the Pixel Data), fsynced, renamed to its place, and handed to the index
writer, which commits it (with whatever else arrived meanwhile) before the status goes back.
A refused or interrupted instance leaves no file behind.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import tempfile
import threading

from django.core.files import File
from django.db import connections

from radbridge.core.audit import Actor

from .associations import record_association
from .group_commit import Arrival, IndexWriter
from .header import STATUS_PROCESSING_FAILURE, STATUS_SUCCESS, StoreError
from .indexing import already_stored, check_instance, out_of_resources
from .storage import dicom_storage, instance_file_name
from .wire import acse, dimse
from .wire.part10 import file_header
from .wire.record import AssociationRecord

log = logging.getLogger(__name__)


class Receiver:
    """The SCP's application: one per server, shared by its associations."""

    def __init__(self, writer: IndexWriter):
        self.writer = writer
        self.spares = Spares()

    def begin_store(self, association: acse.Association, command: dimse.Command,
                    transfer_syntax: str) -> IncomingFile:
        calling = association.calling_ae_title or "?"
        actor = Actor(name=f"dicom:{calling}", role="interface",
                      source_address=association.peer_address)
        return IncomingFile(self, actor, command, transfer_syntax, calling,
                            self.spares.take())

    def between_requests(self) -> None:
        """Create the next incoming file while the sender reads its next instance: creating
        a file costs about half a millisecond, which need not wait in the sender's path."""
        if self.spares.file is None:
            with contextlib.suppress(OSError):
                self.spares.file = new_incoming_file(dicom_storage())

    def association_ended(self) -> None:
        spare = self.spares.take()
        if spare is not None:
            remove(*spare)
        connections.close_all()  # the duplicate lookups' connection of this thread

    def association_finished(self, record: AssociationRecord) -> None:
        """In the recorder thread, after the peer had its answer: one row in the log."""
        record_association(record)

    def records_delivered(self) -> None:
        connections.close_all()  # the recorder's connection, until the next association


class Spares(threading.local):
    """Each association's next incoming file, made early (None in a thread that has none)."""

    file: tuple[int, str] | None = None

    def take(self) -> tuple[int, str] | None:
        spare, self.file = self.file, None
        return spare


def new_incoming_file(storage) -> tuple[int, str]:
    """(descriptor, path) of a new file where a dataset can be streamed."""
    folder = storage.incoming_folder() if hasattr(storage, "incoming_folder") else (
        tempfile.gettempdir())
    try:
        return tempfile.mkstemp(dir=folder, prefix="store-")
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
        return tempfile.mkstemp(dir=folder, prefix="store-")


def remove(descriptor: int, path: str) -> None:
    if descriptor >= 0:
        with contextlib.suppress(OSError):
            os.close(descriptor)
    if path:
        with contextlib.suppress(OSError):
            os.unlink(path)


class IncomingFile:
    """A StoreSink: the dataset of one C-STORE on its way to disk."""

    def __init__(self, receiver: Receiver, actor: Actor, command: dimse.Command,
                 transfer_syntax: str, calling_ae_title: str,
                 spare: tuple[int, str] | None = None):
        self.receiver, self.actor, self.command = receiver, actor, command
        self.storage = dicom_storage()
        self.error: OSError | None = None
        self.duplicate = False
        self.size = 0
        self.path = ""
        self.descriptor = -1
        try:
            self.descriptor, self.path = spare or new_incoming_file(self.storage)
            self.write(memoryview(file_header(command.sop_class_uid, command.sop_instance_uid,
                                              transfer_syntax, calling_ae_title)))
        except OSError as error:
            self.error = error

    def write(self, fragment: memoryview) -> None:
        if self.error is not None:
            return  # the disk refused already: the rest is read and dropped
        try:
            while fragment:
                written = os.write(self.descriptor, fragment)
                fragment = fragment[written:]
                self.size += written
        except OSError as error:
            self.error = error

    def finish(self) -> tuple[int, str]:
        try:
            if self.error is not None:
                raise out_of_resources(self.error)
            result = self.keep()
        except StoreError as error:
            log.warning("C-STORE from %s (%s) refused with 0x%04X: %s", self.actor.name,
                        self.actor.source_address, error.status, error)
            return error.status, str(error)
        except Exception:
            log.exception("C-STORE from %s failed", self.actor.name)
            return STATUS_PROCESSING_FAILURE, "processing failure: see the RadBridge log"
        finally:
            self.discard()
        log.debug("C-STORE %s from %s stored (duplicate: %s)", result.sop_instance_uid,
                  self.actor.name, result.duplicate)
        self.duplicate = result.duplicate
        return STATUS_SUCCESS, ""

    def keep(self):
        with mmap.mmap(self.descriptor, self.size, access=mmap.ACCESS_READ) as data:
            header = check_instance(data, self.command.sop_class_uid,
                                    self.command.sop_instance_uid)
        known = already_stored(header)
        if known is not None:
            return known
        name = instance_file_name(header.study_instance_uid, header.sop_instance_uid)
        try:
            os.fsync(self.descriptor)
            folder = self.place(name)
        except OSError as error:
            raise out_of_resources(error) from None
        return self.receiver.writer.submit(
            Arrival(header=header, name=name, size=self.size, folder=folder, actor=self.actor))

    def place(self, name: str) -> str | None:
        """Put the fsynced file at `name`; the folder still to fsync, if any."""
        if hasattr(self.storage, "adopt"):
            folder = self.storage.adopt(self.path, name)
            self.path = ""
            return folder
        with open(self.path, "rb") as content:
            self.storage.save(name, File(content))
        return None

    def discard(self) -> None:
        remove(self.descriptor, self.path)
        self.descriptor, self.path = -1, ""

