"""The DICOM SCP: C-ECHO and C-STORE, the `dicom` role of `radbridge serve`.

The DICOM upper layer is our own (`wire/`, no Django): pynetdicom's per-PDU Python machinery
cost more than storing and indexing did. Each association runs in its own thread; a
C-STORE's dataset is streamed to a file as received (never decoded), checked, fsynced and
indexed (group commit across associations) before the status goes back, by `receiver`.
The server guards itself: allow-lists of calling AE titles and addresses, a network timeout
for associations that stall, a limit on simultaneous associations.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings
from pydicom import uid
from pynetdicom import AllStoragePresentationContexts
from pynetdicom.sop_class import Verification

from radbridge.core.sibling_processes import (
    SiblingProcesses,
    inherited_socket,
    listening_socket,
)

from .group_commit import IndexWriter
from .receiver import Receiver
from .storage import dicom_storage
from .wire.acse import Policy
from .wire.server import AssociationServer

log = logging.getLogger(__name__)

# What modalities send: uncompressed, deflate, JPEG, JPEG-LS, JPEG 2000 (HT too) and RLE.
TRANSFER_SYNTAXES = (
    uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.ExplicitVRBigEndian,
    uid.DeflatedExplicitVRLittleEndian, uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit,
    uid.JPEGLossless, uid.JPEGLosslessSV1, uid.JPEGLSLossless, uid.JPEGLSNearLossless,
    uid.JPEG2000Lossless, uid.JPEG2000, uid.JPEG2000MCLossless, uid.JPEG2000MC,
    uid.HTJ2KLossless, uid.HTJ2KLosslessRPCL, uid.HTJ2K, uid.RLELossless,
)
ABSTRACT_SYNTAXES = frozenset(
    [str(c.abstract_syntax) for c in AllStoragePresentationContexts] + [str(Verification)])


def policy_from_settings() -> Policy:
    return Policy(
        abstract_syntaxes=ABSTRACT_SYNTAXES,
        transfer_syntaxes=tuple(str(ts) for ts in TRANSFER_SYNTAXES),
        max_pdu=settings.DICOM_MAX_PDU_BYTES,
        calling_ae_titles=frozenset(settings.DICOM_ALLOWED_AE_TITLES),
        called_ae_titles=frozenset(
            [settings.AE_TITLE] if settings.DICOM_CHECK_CALLED_AE_TITLE else []),
    )


def sweep_leftovers() -> int:
    """At start, delete what a crash left half-received (twice the network timeout idle: any
    live association, here or in another process, has written since)."""
    storage = dicom_storage()
    if not hasattr(storage, "sweep_incoming"):
        return 0
    removed = storage.sweep_incoming(2 * settings.DICOM_NETWORK_TIMEOUT_SECONDS)
    if removed:
        log.warning("DICOM: removed %d half-received file(s) left by an earlier stop", removed)
    return removed


class DicomServer:
    """The `dicom` role: start() binds and serves in threads; stop() lets transfers end.

    With `RADBRIDGE_DICOM_WORKERS` > 1 more processes accept on the same port: one process
    receives on one core at most (the interpreter lock; about 2 ms of CPU per 512 KB CT
    instance, one core busy at ~440 instances/s), so a machine with spare cores and several
    modalities sending at once needs more than one."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.server: AssociationServer | None = None
        self.siblings: SiblingProcesses | None = None

    @classmethod
    def from_settings(cls) -> DicomServer:
        return cls(settings.BIND_ADDRESS, settings.DICOM_PORT)

    async def start(self) -> None:
        listener = inherited_socket("dicom")
        if listener is None:  # the first process; its siblings start after the sweep
            sweep_leftovers()
            if settings.DICOM_WORKERS > 1:
                listener = listening_socket(self.host, self.port)
                self.siblings = SiblingProcesses("dicom", listener, settings.DICOM_WORKERS - 1)
        receiver = Receiver(IndexWriter())
        self.server = AssociationServer(
            self.host, self.port, policy_from_settings(), receiver,
            timeout=settings.DICOM_NETWORK_TIMEOUT_SECONDS,
            max_associations=settings.DICOM_MAX_ASSOCIATIONS,
            allowed_networks=list(settings.DICOM_ALLOWED_ADDRESSES),
            listener=listener,
        )
        self.port = self.server.port
        self.server.start()
        if self.siblings is not None:
            await self.siblings.start()
        log.info("DICOM SCP %s listening on %s:%d", settings.AE_TITLE, self.host, self.port)

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop accepting; associations in progress get `grace_seconds` to finish."""
        stopping = [self.siblings.stop()] if self.siblings is not None else []
        if self.server is not None:
            server, self.server = self.server, None
            stopping.append(asyncio.get_running_loop().run_in_executor(
                None, server.stop, grace_seconds))
        await asyncio.gather(*stopping)
