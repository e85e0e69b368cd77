"""The MLLP listener: asyncio TCP (optionally TLS) server in front of the ingest pipeline.

It reads frames, hands each message to the pipeline and writes back the ACK the pipeline
returns, which is only ever produced after the message was committed. It guards itself:
an allow-list of sender addresses, a connection limit, a maximum message size, an idle
timeout and a timeout for a frame that never ends. Bad bytes are answered (stray bytes
are logged, oversized frames get an AR) and only the offending connection is ever closed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl

from django.conf import settings

from .ingest import Received, error_ack
from .pipeline import IngestPipeline
from .wire import HL7Error, MLLPDecoder, frame

log = logging.getLogger(__name__)
READ_SIZE = 65536


def allowed_networks(entries: list[str]) -> list:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def tls_context() -> ssl.SSLContext | None:
    if not settings.HL7_TLS_CERT:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.HL7_TLS_CERT, settings.HL7_TLS_KEY or None)
    if settings.HL7_TLS_CLIENT_CA:
        context.load_verify_locations(settings.HL7_TLS_CLIENT_CA)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class MLLPListener:
    def __init__(self, host: str, port: int, pipeline: IngestPipeline | None = None):
        self.host, self.port = host, port
        self.pipeline = pipeline
        self.networks = allowed_networks(settings.HL7_ALLOWED_SENDERS)
        self.connections: set[asyncio.Task] = set()
        self.answering: set[asyncio.Task] = set()  # connections with a message in flight
        self.stopping = False
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        if self.pipeline is None:
            self.pipeline = IngestPipeline(asyncio.get_running_loop())
            self.pipeline.start()
        self.server = await asyncio.start_server(
            self.serve_connection,
            self.host,
            self.port,
            ssl=tls_context(),
            limit=READ_SIZE,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("MLLP listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting, let in-flight messages finish (committed and ACKed), then close."""
        self.stopping = True
        if self.server is not None:
            self.server.close()
        for task in list(self.connections - self.answering):
            task.cancel()  # idle, waiting for bytes: nothing to finish
        if self.connections:
            await asyncio.wait(list(self.connections), timeout=60)
        if self.pipeline is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.pipeline.stop)

    def admitted(self, address: str) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        peer = writer.get_extra_info("peername") or ("?", 0)
        where = f"{peer[0]}:{peer[1]}"
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.admitted(peer[0]) or len(self.connections) >= settings.HL7_MAX_CONNECTIONS:
            log.warning("MLLP connection from %s refused (not allowed or too many)", where)
            writer.close()
            return
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            await self.converse(reader, writer, where)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as error:
            log.info("MLLP connection %s ended: %s", where, error)
        finally:
            self.connections.discard(task)
            writer.close()

    async def converse(self, reader, writer, where: str) -> None:
        decoder = MLLPDecoder(max_message_bytes=settings.HL7_MAX_MESSAGE_BYTES)
        while True:
            # A sender in the middle of a frame gets the shorter frame timeout.
            timeout = (
                settings.HL7_FRAME_TIMEOUT_SECONDS
                if decoder.pending_bytes
                else settings.HL7_IDLE_TIMEOUT_SECONDS
            )
            try:
                async with asyncio.timeout(timeout):  # no extra task per read, unlike wait_for
                    data = await reader.read(READ_SIZE)
            except TimeoutError:
                log.info(
                    "MLLP connection %s closed: %s",
                    where,
                    "frame not finished in time" if decoder.pending_bytes else "idle",
                )
                return
            if not data:
                return
            for event in decoder.feed(data):
                await self.answer(event, writer, where)
            if self.stopping:
                return

    async def answer(self, event, writer: asyncio.StreamWriter, where: str) -> None:
        if event.kind == "message":
            task = asyncio.current_task()
            self.answering.add(task)
            try:
                outcome = await self.pipeline.submit(
                    Received(raw=event.data, channel="mllp", peer=where)
                )
                writer.write(frame(outcome.ack.encode("utf-8")))
            finally:
                self.answering.discard(task)
            await writer.drain()
        elif event.kind == "stray":
            log.warning(
                "MLLP %s: %d bytes outside any frame ignored: %r",
                where,
                len(event.data),
                event.data[:60],
            )
        elif event.kind == "oversized":
            error = HL7Error(
                f"message larger than {settings.HL7_MAX_MESSAGE_BYTES} bytes was discarded; "
                "split it or raise RADBRIDGE_HL7_MAX_MESSAGE_BYTES",
                code="207",
            )
            log.warning("MLLP %s: %s", where, error)
            writer.write(frame(error_ack(None, "AR", error).encode("utf-8")))
            await writer.drain()
