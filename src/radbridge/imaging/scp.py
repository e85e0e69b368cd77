"""The DICOM SCP: C-ECHO and C-STORE on pynetdicom, the `dicom` role of `radbridge serve`.

Each association runs in its own thread under the actor "dicom:<calling AE>", so what it
stores is audited to the sender. A C-STORE's bytes are handed over as received (never
decoded) to `indexing.store_instance`, which answers only once the file is on disk and
indexed; its StoreError becomes the DIMSE failure status with a comment saying why. The
server guards itself: allow-lists of calling AE titles and addresses, a network timeout
for associations that stall, a limit on simultaneous associations.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import threading

from django.conf import settings
from django.db import connections
from pydicom import uid
from pydicom.dataset import Dataset
from pynetdicom import AE, AllStoragePresentationContexts, _config, evt
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification
from pynetdicom.transport import AssociationSocket, RequestHandler, ThreadedAssociationServer

from radbridge.core.audit import Actor, acting_as

from .header import StoreError
from .indexing import store_instance

log = logging.getLogger(__name__)
# pynetdicom's default handlers log every PDU and DIMSE message: too costly per instance.
_config.LOG_HANDLER_LEVEL = "none"


def association_actor(assoc) -> Actor:
    return Actor(
        name=f"dicom:{assoc.requestor.ae_title.strip() or '?'}",
        role="interface",
        source_address=str(assoc.requestor.address),
    )


def handle_echo(event) -> int:
    return 0x0000


def handle_store(event):
    actor = association_actor(event.assoc)
    request = event.request
    with acting_as(actor):
        try:
            store_instance(
                event.encoded_dataset(),
                received_from=actor.name,
                sop_class_uid=str(request.AffectedSOPClassUID),
                sop_instance_uid=str(request.AffectedSOPInstanceUID),
            )
        except StoreError as error:
            log.warning(
                "C-STORE from %s (%s) refused with 0x%04X: %s",
                actor.name, actor.source_address, error.status, error,
            )
            answer = Dataset()
            answer.Status = error.status
            answer.ErrorComment = str(error)[:64]  # LO: 64 characters at most
            return answer
    return 0x0000


class FastSocket(AssociationSocket):
    """Reads a PDU in as few system calls as the kernel allows (pynetdicom reads 4 KB)."""

    def recv(self, nr_bytes: int) -> bytearray:
        buffer = bytearray(nr_bytes)
        view = memoryview(buffer)
        received = 0
        while received < nr_bytes:
            count = self.socket.recv_into(view[received:], nr_bytes - received)
            if not count:
                return buffer[:received]  # peer closed: pynetdicom sees a short PDU
            received += count
        return buffer


class RadBridgeAssociation(Association):
    """An acceptor association that returns its database connection when it ends."""

    def run(self) -> None:
        try:
            super().run()
        finally:
            connections.close_all()


class RadBridgeRequestHandler(RequestHandler):
    def _create_association(self):
        assoc = super()._create_association()
        assoc.__class__ = RadBridgeAssociation  # adds only run(); no new state
        assoc.dul.socket.__class__ = FastSocket  # overrides only recv()
        return assoc


class RadBridgeServer(ThreadedAssociationServer):
    """Sets TCP_NODELAY on every connection and refuses addresses not allowed."""

    def __init__(self, *args, **kwargs):
        kwargs["request_handler"] = RadBridgeRequestHandler
        super().__init__(*args, **kwargs)
        self.networks = [
            ipaddress.ip_network(entry, strict=False)
            for entry in settings.DICOM_ALLOWED_ADDRESSES
        ]

    def get_request(self):
        client_socket, address = super().get_request()
        client_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Accepted sockets block forever by default: a peer that stops in the middle of a
        # PDU would hold its thread for good. The timeout turns that into a closed link.
        client_socket.settimeout(settings.DICOM_NETWORK_TIMEOUT_SECONDS)
        return client_socket, address

    def verify_request(self, request, client_address) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(client_address[0])
        except ValueError:
            return False
        if any(address in network for network in self.networks):
            return True
        log.warning("DICOM connection from %s refused: not in the allowed addresses",
                    client_address[0])
        return False


# What modalities send: uncompressed, deflate, JPEG, JPEG-LS, JPEG 2000 (HT too) and RLE.
# (Each association copies the whole table of SOP classes x syntaxes, so it stays short.)
TRANSFER_SYNTAXES = [
    uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian,
    uid.DeflatedExplicitVRLittleEndian, uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit,
    uid.JPEGLossless, uid.JPEGLosslessSV1, uid.JPEGLSLossless, uid.JPEGLSNearLossless,
    uid.JPEG2000Lossless, uid.JPEG2000, uid.JPEG2000MCLossless, uid.JPEG2000MC,
    uid.HTJ2KLossless, uid.HTJ2KLosslessRPCL, uid.HTJ2K, uid.RLELossless,
]


def build_ae() -> AE:
    ae = AE(ae_title=settings.AE_TITLE)
    for context in AllStoragePresentationContexts:
        ae.add_supported_context(context.abstract_syntax, TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification, TRANSFER_SYNTAXES)
    ae.maximum_pdu_size = settings.DICOM_MAX_PDU_BYTES
    ae.maximum_associations = settings.DICOM_MAX_ASSOCIATIONS
    ae.network_timeout = settings.DICOM_NETWORK_TIMEOUT_SECONDS
    ae.acse_timeout = settings.DICOM_NETWORK_TIMEOUT_SECONDS
    ae.dimse_timeout = settings.DICOM_NETWORK_TIMEOUT_SECONDS
    ae.require_called_aet = False  # senders often use a generic title; allow-list the caller
    ae.require_calling_aet = list(settings.DICOM_ALLOWED_AE_TITLES)
    return ae


class DicomServer:
    """The `dicom` role: start() binds and serves in threads; stop() lets transfers end."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.server: RadBridgeServer | None = None
        self.thread: threading.Thread | None = None

    @classmethod
    def from_settings(cls) -> DicomServer:
        return cls(settings.BIND_ADDRESS, settings.DICOM_PORT)

    async def start(self) -> None:
        ae = build_ae()
        self.server = ae.make_server(
            (self.host, self.port),
            evt_handlers=[(evt.EVT_C_ECHO, handle_echo), (evt.EVT_C_STORE, handle_store)],
            server_class=RadBridgeServer,
        )
        ae._servers.append(self.server)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="dicom-scp", daemon=True
        )
        self.thread.start()
        log.info("DICOM SCP %s listening on %s:%d", settings.AE_TITLE, self.host, self.port)

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop accepting; associations in progress get `grace_seconds` to finish."""
        if self.server is None:
            return
        server = self.server
        await asyncio.get_running_loop().run_in_executor(None, server.shutdown)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_seconds
        while server.active_associations and loop.time() < deadline:
            await asyncio.sleep(0.1)
        for assoc in server.active_associations:
            assoc.abort()
        self.server = None
