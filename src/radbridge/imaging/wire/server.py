"""The listening socket: one thread per association, guarded by address and count limits.

Every accepted connection gets TCP_NODELAY (a response must not wait for Nagle) and the
network timeout (a stalled peer frees its thread). Addresses outside the allow-list are
closed at once; associations beyond the limit are rejected as "local limit exceeded".
Every connection, refused ones included, leaves one record (record.py) for the application.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
import time

from . import acse, association, pdu
from .record import ABORTED, REFUSED, AssociationRecord, Recorder

log = logging.getLogger(__name__)


class AssociationServer:
    def __init__(self, host: str, port: int, policy: acse.Policy,
                 application: association.Application, *, timeout: float,
                 max_associations: int, allowed_networks: list[str],
                 listener: socket.socket | None = None):
        """`listener`: a listening socket shared with sibling processes, instead of a new one
        on host:port."""
        self.policy, self.application = policy, application
        self.timeout, self.max_associations = timeout, max_associations
        self.networks = [ipaddress.ip_network(n, strict=False) for n in allowed_networks]
        self.listener = listener or socket.create_server((host, port), backlog=64)
        self.listener.settimeout(0.2)  # how often the accept loop looks at `stopping`
        self.port = self.listener.getsockname()[1]
        self.active: dict[socket.socket, AssociationRecord] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.accept_loop, name="dicom-scp", daemon=True)
        self.recorder = Recorder(application.association_finished,
                                 application.records_delivered)

    def start(self) -> None:
        self.recorder.start()
        self.thread.start()

    def accept_loop(self) -> None:
        with self.listener:
            while not self.stopping.is_set():
                try:
                    connection, address = self.listener.accept()
                except TimeoutError:
                    continue
                except OSError as error:
                    log.error("DICOM accept failed: %s", error)
                    time.sleep(0.2)
                    continue
                self.admit(connection, address[0])

    def allowed(self, host: str) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def admit(self, connection: socket.socket, host: str) -> None:
        record = AssociationRecord(host)
        if not self.allowed(host):
            log.warning("DICOM connection from %s refused: not in the allowed addresses", host)
            connection.close()
            record.end(REFUSED, "address not allowed")
            self.recorder.put(record)
            return
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.settimeout(self.timeout)
        with self.lock:
            full = len(self.active) >= self.max_associations
            if not full:
                self.active[connection] = record
        if full:
            threading.Thread(target=self.refuse_busy, args=(connection, record),
                             daemon=True).start()
            return
        threading.Thread(target=self.run_association, args=(connection, record),
                         name=f"dicom-{host}", daemon=True).start()

    def refuse_busy(self, connection: socket.socket, record: AssociationRecord) -> None:
        with connection, contextlib.suppress(OSError, pdu.PeerClosed, pdu.ProtocolError):
            _, body = pdu.read_pdu(connection, association.ASSOCIATE_RQ_LIMIT)
            record.bytes_received += pdu.HEADER.size + len(body)
            record.calling_ae_title, record.called_ae_title = acse.ae_titles(body)
            connection.sendall(pdu.associate_rj(acse.REJECTED_TRANSIENT,
                                                acse.SOURCE_PRESENTATION, acse.REASON_LOCAL_LIMIT))
        log.warning("DICOM association refused: %d associations already", self.max_associations)
        record.end(REFUSED, f"too many associations ({self.max_associations} already)")
        self.recorder.put(record)

    def run_association(self, connection: socket.socket, record: AssociationRecord) -> None:
        try:
            association.serve(connection, self.policy, self.application, record)
        finally:
            with self.lock:
                self.active.pop(connection, None)
            self.recorder.put(record)  # the connection is closed: nobody waits on this

    def stop(self, grace_seconds: float) -> None:
        """Stop accepting; associations in progress get `grace_seconds`, then an A-ABORT."""
        self.stopping.set()
        self.thread.join()
        deadline = time.monotonic() + grace_seconds
        while self.active and time.monotonic() < deadline:
            time.sleep(0.05)
        with self.lock:
            remaining = list(self.active.items())
        for connection, record in remaining:
            record.end(ABORTED, "RadBridge stopping")
            with contextlib.suppress(OSError):
                connection.sendall(pdu.abort())
                connection.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 1.0  # their threads record how they ended, then go
        while self.active and time.monotonic() < deadline:
            time.sleep(0.02)
        self.recorder.stop()
