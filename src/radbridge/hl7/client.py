"""A small blocking MLLP client: send one message, wait for its ACK.

Used by the outbound queue and by `radbridge hl7 send`. Blocking is deliberate: the callers
are a background job and a CLI, each sending in order, one message at a time.
"""

from __future__ import annotations

import socket

from .wire import MLLPDecoder, frame


class MLLPClientError(ConnectionError):
    """The peer could not be reached, closed the connection or did not answer in time."""


class MLLPClient:
    def __init__(self, host: str, port: int, timeout: float = 30.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.decoder = MLLPDecoder()

    def __enter__(self) -> MLLPClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:
            raise MLLPClientError(f"cannot connect to {self.host}:{self.port}: {error}") from None
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def send(self, message: bytes) -> bytes:
        """Send one message and return the payload of the first frame that comes back."""
        if self.sock is None:
            self.connect()
        try:
            self.sock.sendall(frame(message))
            while True:
                data = self.sock.recv(65536)
                if not data:
                    raise MLLPClientError(f"{self.host}:{self.port} closed without an ACK")
                for event in self.decoder.feed(data):
                    if event.kind == "message":
                        return event.data
        except OSError as error:
            self.close()
            raise MLLPClientError(f"{self.host}:{self.port}: {error}") from None


def parse_target(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"MLLP target {target!r} must be host:port, e.g. ris.example.org:2575")
    return host.strip("[]"), int(port)
