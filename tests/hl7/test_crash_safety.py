"""kill -9 the server while a client streams: everything ACKed survives, applied exactly once."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from radbridge.clinical.models import Order
from radbridge.hl7.models import InboundMessage
from radbridge.hl7.wire import MLLPDecoder, frame, parse_ack
from tests.hl7.helpers import orm
from tests.hl7.ris import free_port

pytestmark = pytest.mark.django_db(transaction=True)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_server(port: int, home, extra_env=None) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "RADBRIDGE_HOME": str(home),
        "RADBRIDGE_MLLP_PORT": str(port),
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "mllp", "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("RadBridge did not start listening")


def stream(port: int, numbers: range, acked: list[int]) -> None:
    """Send one message at a time, like a RIS; record each number once its AA arrives."""
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            decoder = MLLPDecoder()
            for number in numbers:
                sock.sendall(frame(orm(f"K{number}", f"KACC{number}").encode()))
                while True:
                    data = sock.recv(65536)
                    if not data:
                        return
                    events = [e for e in decoder.feed(data) if e.kind == "message"]
                    if events:
                        break
                code, control_id, _ = parse_ack(events[0].data.decode())
                assert (code, control_id) == ("AA", f"K{number}")
                acked.append(number)
    except OSError:
        return  # the server was killed under us


def kill_while_streaming(port: int, home, extra_env=None) -> list[int]:
    server = start_server(port, home, extra_env)
    acked: list[int] = []
    client = threading.Thread(target=stream, args=(port, range(100_000), acked))
    client.start()
    deadline = time.monotonic() + 30
    while len(acked) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    client.join(10)
    assert len(acked) >= 60, "the client never got going"
    return acked


def resend_and_verify(port: int, home, acked: list[int], extra_env=None) -> None:
    server = start_server(port, home, extra_env)
    try:
        # A real sender retransmits what it has no ACK for, starting with the last one.
        retry: list[int] = []
        stream(port, range(acked[-1] - 2, acked[-1] + 3), retry)
        assert len(retry) == 5
        deadline = time.monotonic() + 20
        while Order.objects.count() < acked[-1] + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait(30)
    accessions = list(Order.objects.values_list("accession_number", flat=True))
    assert len(accessions) == len(set(accessions))
    assert {f"KACC{n}" for n in acked} <= set(accessions)
    applied = InboundMessage.objects.filter(status="applied")
    assert applied.count() == len(accessions)
    assert not InboundMessage.objects.filter(status__in=["failed", "received"]).exists()


def test_apply_then_ack_survives_kill_9(tmp_path):
    port = free_port()
    acked = kill_while_streaming(port, tmp_path)
    # Everything ACKed is journaled and applied, before any retransmission.
    journaled = set(
        InboundMessage.objects.filter(status="applied").values_list("control_id", flat=True)
    )
    assert {f"K{n}" for n in acked} <= journaled
    resend_and_verify(port, tmp_path, acked)


def test_accept_mode_survives_kill_9_and_applies_after_restart(tmp_path):
    port = free_port()
    accept = {"RADBRIDGE_HL7_ACCEPT_MODE_SENDERS": "*"}
    acked = kill_while_streaming(port, tmp_path, accept)
    journaled = set(InboundMessage.objects.values_list("control_id", flat=True))
    assert {f"K{n}" for n in acked} <= journaled
    resend_and_verify(port, tmp_path, acked, accept)
