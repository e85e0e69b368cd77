"""Listener guards: TLS with client certificates, connection limits, bad encoding characters."""

import socket
import ssl
import subprocess

import pytest

from radbridge.clinical.models import Order
from radbridge.hl7.models import InboundMessage
from radbridge.hl7.wire import frame, parse_ack
from tests.hl7.conftest import RunningListener
from tests.hl7.helpers import orm
from tests.hl7.test_listener import read_acks, send

pytestmark = pytest.mark.django_db(transaction=True)


def make_certificate(folder, name: str, ca: tuple | None = None) -> tuple:
    """A key and certificate made with openssl at test time (signed by `ca` when given)."""
    key, cert = folder / f"{name}.key", folder / f"{name}.pem"
    subject = ["-subj", f"/CN={name}"]
    if ca is None:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", key, "-out", cert, *subject,
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )
    else:
        request = folder / f"{name}.csr"
        subprocess.run(
            ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
             request, *subject], check=True, capture_output=True,
        )
        subprocess.run(
            ["openssl", "x509", "-req", "-in", request, "-CA", ca[1], "-CAkey", ca[0],
             "-CAcreateserial", "-days", "2", "-out", cert], check=True, capture_output=True,
        )
    return key, cert


def tls_send(port: int, context: ssl.SSLContext, text: str) -> tuple[str, str, str]:
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(frame(text.encode()))
            acks = read_acks(sock, 1)
    if not acks:
        raise ConnectionError("closed without an ACK")
    return parse_ack(acks[0].decode())


def test_tls_listener_requires_and_accepts_a_client_certificate(settings, tmp_path):
    server_key, server_cert = make_certificate(tmp_path, "server")
    ca = make_certificate(tmp_path, "clinic-ca")
    client_key, client_cert = make_certificate(tmp_path, "ris", ca=ca)
    settings.HL7_TLS_CERT, settings.HL7_TLS_KEY = str(server_cert), str(server_key)
    settings.HL7_TLS_CLIENT_CA = str(ca[1])
    running = RunningListener().start()
    try:
        context = ssl.create_default_context(cafile=str(server_cert))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            tls_send(running.port, context, orm("T0", "ACCT0"))  # no client certificate
        context.load_cert_chain(str(client_cert), str(client_key))
        assert tls_send(running.port, context, orm("T1", "ACCT1"))[:2] == ("AA", "T1")
    finally:
        running.stop()
    assert list(Order.objects.values_list("accession_number", flat=True)) == ["ACCT1"]


def test_connections_beyond_the_limit_are_refused_others_keep_working(settings):
    settings.HL7_MAX_CONNECTIONS = 2
    running = RunningListener().start()
    try:
        held = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(2)]
        held[0].sendall(frame(orm("H0", "ACCH0").encode()))
        read_acks(held[0], 1)
        extra = socket.create_connection(("127.0.0.1", running.port))
        extra.settimeout(5)
        try:
            assert extra.recv(100) == b""
        except ConnectionResetError:
            pass
        extra.close()
        held[1].sendall(frame(orm("H1", "ACCH1").encode()))
        assert parse_ack(read_acks(held[1], 1)[0].decode())[:2] == ("AA", "H1")
        for sock in held:
            sock.close()
    finally:
        running.stop()


def test_wrong_encoding_characters_are_rejected_with_msh2(mllp_listener):
    text = orm("W1", "ACCW1").replace("MSH|^~\\&|", "MSH|^^\\&|", 1)
    code, _, reason = send(mllp_listener.port, text)
    assert code == "AR"
    assert "MSH-2" in reason
    assert InboundMessage.objects.get().status == "rejected"


def test_shutdown_finishes_the_message_in_flight_and_acks_it(monkeypatch):
    import threading
    import time

    from radbridge.hl7 import handlers
    from radbridge.hl7.handlers import orders

    def slow_order(message):
        time.sleep(1.0)  # the RIS's message is being applied when the operator stops us
        return orders.handle(message)

    monkeypatch.setitem(handlers.HANDLERS, ("ORM", "O01"), slow_order)
    running = RunningListener().start()
    with socket.create_connection(("127.0.0.1", running.port)) as sock:
        sock.sendall(frame(orm("G1", "ACCG1").encode()))
        time.sleep(0.3)
        stopper = threading.Thread(target=running.stop)
        stopper.start()
        acks = read_acks(sock, 1)
        stopper.join(30)
    assert parse_ack(acks[0].decode())[:2] == ("AA", "G1")
    assert Order.objects.filter(accession_number="ACCG1").exists()


def test_idle_connection_is_closed_after_the_idle_timeout(mllp_listener, settings):
    import time

    settings.HL7_IDLE_TIMEOUT_SECONDS = 1
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(frame(orm("I1", "ACCI1").encode()))
        read_acks(sock, 1)
        started = time.monotonic()
        sock.settimeout(10)
        assert sock.recv(100) == b""  # closed by the listener, not by us
        assert 0.5 < time.monotonic() - started < 8
