"""One association, acceptor side: negotiation, then C-ECHO and C-STORE until release or abort.

The dataset of a C-STORE is never gathered in memory here: each P-DATA fragment goes to the
application's sink as it arrives (the sink writes it to a file), and the response is sent
once the sink says how it ended. Anything that breaks the protocol ends the association with
an A-ABORT naming the reason; a silent peer meets the socket's timeout. How it ended, and
what it carried, goes into the association's record (record.py).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from typing import Protocol

from . import acse, dimse, pdu
from .record import (
    ABORTED,
    ABORTED_BY_PEER,
    NO_ACCEPTABLE_CONTEXT,
    REJECTED,
    RELEASED,
    TIMED_OUT,
    AssociationRecord,
)

log = logging.getLogger(__name__)
ASSOCIATE_RQ_LIMIT = 1024 * 1024  # hundreds of presentation contexts fit in far less
DRAIN_LIMIT = 4 * 1024 * 1024


class StoreSink(Protocol):
    duplicate: bool  # after finish(): success because the instance was already stored

    def write(self, fragment: memoryview) -> None: ...
    def finish(self) -> tuple[int, str]: ...  # DIMSE status, error comment
    def discard(self) -> None: ...  # the association ended in the middle of the dataset


class Application(Protocol):
    def begin_store(self, association: acse.Association, command: dimse.Command,
                    transfer_syntax: str) -> StoreSink: ...
    def between_requests(self) -> None: ...  # an answer went out; the peer readies the next
    def association_ended(self) -> None: ...  # in the association's thread, before release
    # Once per association, however it ended, after its last PDU went out: in the server's
    # recorder thread (record.Recorder), never in the association's.
    def association_finished(self, record: AssociationRecord) -> None: ...
    def records_delivered(self) -> None: ...  # the recorder is idle: release what it holds


class DiscardSink:
    """The dataset of an operation we do not offer: read, dropped, answered with a status."""

    duplicate = False

    def __init__(self, status: int, comment: str):
        self.answer = (status, comment)

    def write(self, fragment: memoryview) -> None:
        pass

    def finish(self) -> tuple[int, str]:
        return self.answer

    def discard(self) -> None:
        pass


def serve(sock: socket.socket, policy: acse.Policy, application: Application,
          record: AssociationRecord) -> None:
    """Run one association on a connected socket, then close it; `record` says how it went."""
    peer = record.peer_address
    try:
        pdu_type, body = pdu.read_pdu(sock, ASSOCIATE_RQ_LIMIT)
        record.bytes_received += pdu.HEADER.size + len(body)
        if pdu_type != pdu.ASSOCIATE_RQ:
            raise pdu.ProtocolError(f"expected A-ASSOCIATE-RQ, got PDU type 0x{pdu_type:02X}",
                                    pdu.REASON_UNEXPECTED_PDU)
        record.calling_ae_title, record.called_ae_title = acse.ae_titles(body)
        try:
            association, answer = acse.negotiate(body, policy)
        except acse.Rejected as rejected:
            log.warning("DICOM association from %s rejected: %s", peer, rejected)
            sock.sendall(rejected.answer)
            close_gently(sock)
            record.end(REJECTED, str(rejected))
            return
        association.peer_address = peer
        if not association.contexts:
            record.note(NO_ACCEPTABLE_CONTEXT)
        sock.sendall(answer)
        session = Session(sock, policy, application, association, record)
        session.run()
    except pdu.ProtocolError as error:
        log.warning("DICOM association from %s aborted: %s", peer, error)
        record.end(ABORTED, str(error))
        with contextlib.suppress(OSError):
            sock.sendall(pdu.abort(pdu.SOURCE_PROVIDER, error.reason))
            close_gently(sock)
    except TimeoutError:
        log.warning("DICOM association from %s aborted: silent for too long", peer)
        record.end(TIMED_OUT, f"silent for {sock.gettimeout() or 0:g} s")
        with contextlib.suppress(OSError):
            sock.sendall(pdu.abort())
    except (pdu.PeerClosed, OSError) as error:
        log.info("DICOM association from %s ended: %s", peer, error)
        record.end(ABORTED_BY_PEER, f"connection closed without release ({error})")
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        record.end(ABORTED, "internal error: see the RadBridge log")  # if not ended above


def close_gently(sock: socket.socket) -> None:
    """Half-close and drain what the peer still sends (briefly), so that our last PDU reaches
    it: closing with unread data would send a TCP reset, which can destroy that PDU."""
    drained = 0
    with contextlib.suppress(OSError):  # a peer that stays silent or resets: we are done
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        while drained < DRAIN_LIMIT and (chunk := sock.recv(65536)):
            drained += len(chunk)


class Session:
    """The P-DATA exchange of an established association."""

    def __init__(self, sock, policy: acse.Policy, application: Application,
                 association: acse.Association, record: AssociationRecord):
        self.sock, self.application, self.association = sock, application, association
        self.record = record
        self.limit = policy.max_pdu or 0xFFFFFFFF
        self.command_fragments = bytearray()
        self.command: dimse.Command | None = None  # waiting for its dataset
        self.context_id = 0
        self.sink: StoreSink | None = None
        self.ended = False

    def run(self) -> None:
        try:
            while True:
                pdu_type, body = pdu.read_pdu(self.sock, self.limit)
                self.record.bytes_received += pdu.HEADER.size + len(body)
                if pdu_type == pdu.P_DATA_TF:
                    for item in pdu.pdv_items(body):
                        self.receive(*item)
                elif pdu_type == pdu.RELEASE_RQ:
                    self.end()
                    self.sock.sendall(pdu.release_rp())
                    self.record.end(RELEASED)
                    return
                elif pdu_type == pdu.ABORT:
                    self.record.end(ABORTED_BY_PEER, "A-ABORT")
                    return
                else:
                    raise pdu.ProtocolError(
                        f"unexpected PDU type 0x{pdu_type:02X} in an established association",
                        pdu.REASON_UNEXPECTED_PDU)
        finally:
            self.end()

    def end(self) -> None:
        if self.sink is not None:
            if self.command.command_field == dimse.C_STORE_RQ:
                self.record.note("ended in the middle of a C-STORE dataset")
            self.sink.discard()  # the association ended in the middle of a dataset
            self.sink = None
        if not self.ended:
            self.ended = True
            self.application.association_ended()

    def receive(self, context_id: int, is_command: bool, last: bool,
                fragment: memoryview) -> None:
        if is_command:
            if self.command is not None:
                raise pdu.ProtocolError("a command arrived before the dataset of the last one",
                                        pdu.REASON_UNEXPECTED_PARAMETER)
            self.command_fragments += fragment
            if last:
                command = dimse.parse_command(self.command_fragments)
                self.command_fragments = bytearray()
                self.start(context_id, command)
            return
        if self.command is None or context_id != self.context_id:
            raise pdu.ProtocolError("a dataset fragment arrived without its command",
                                    pdu.REASON_UNEXPECTED_PARAMETER)
        self.sink.write(fragment)
        if last:
            sink, command, self.sink, self.command = self.sink, self.command, None, None
            status, comment = sink.finish()
            if command.command_field == dimse.C_STORE_RQ:
                self.count_store(status, sink.duplicate)
            self.answer(context_id, command, status, comment)

    def start(self, context_id: int, command: dimse.Command) -> None:
        context = self.association.contexts.get(context_id)
        if context is None:
            raise pdu.ProtocolError(f"presentation context {context_id} was not accepted",
                                    pdu.REASON_INVALID_PARAMETER)
        if command.command_field == dimse.C_STORE_RQ and command.has_dataset:
            self.sink = self.application.begin_store(self.association, command, context[1])
        elif command.command_field == dimse.C_ECHO_RQ and not command.has_dataset:
            self.record.echoes += 1
            self.answer(context_id, command, 0x0000)
            return
        elif command.has_dataset:
            self.sink = DiscardSink(dimse.STATUS_UNRECOGNIZED_OPERATION,
                                    "operation not offered: this SCP stores and echoes")
        else:
            self.answer(context_id, command, dimse.STATUS_UNRECOGNIZED_OPERATION,
                        "operation not offered: this SCP stores and echoes")
            return
        self.command, self.context_id = command, context_id

    def count_store(self, status: int, duplicate: bool) -> None:
        if not dimse.is_success(status):
            self.record.stores_failed += 1
        elif duplicate:
            self.record.stores_duplicate += 1
        else:
            self.record.stores_succeeded += 1

    def answer(self, context_id: int, command: dimse.Command, status: int,
               comment: str = "") -> None:
        self.sock.sendall(pdu.p_data(context_id, dimse.response(command, status, comment)))
        self.application.between_requests()
