"""A stand-in RIS: a real TCP MLLP server that records what it receives and answers as told."""

import socket
import socketserver
import threading

from radbridge.core import outbox
from radbridge.core.audit import Actor, acting_as
from radbridge.hl7.outbound import send_due
from radbridge.hl7.wire import MLLPDecoder, build_ack, frame, parse_message


class FakeRIS:
    def __init__(self, answer: str = "AA"):
        self.answer = answer  # AA, AE, AR or "close"
        self.received: list[str] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                decoder = MLLPDecoder()
                while data := self.request.recv(65536):
                    for event in decoder.feed(data):
                        text = event.data.decode("utf-8")
                        outer.received.append(text)
                        if outer.answer == "close":
                            return
                        ack = build_ack(parse_message(text), outer.answer, "test RIS says so")
                        self.request.sendall(frame(ack.encode()))

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deliver_to_ris() -> int:
    """The worker's round: events through the outbox into the HL7 queue, then sent. Returns
    how many messages were sent."""
    with acting_as(Actor(name="worker", role="worker")):
        outbox.relay_once()
        return send_due()
