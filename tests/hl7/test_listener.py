"""The MLLP listener over real TCP, driven by python-hl7's MLLP client and raw sockets."""

import socket
import time

import hl7.client
import pytest

from radbridge.clinical.models import Order, ReportVersion
from radbridge.core.models import OutboxEvent
from radbridge.hl7.listener import MLLPListener
from radbridge.hl7.models import InboundMessage
from radbridge.hl7.wire import parse_ack
from tests.hl7.conftest import RunningListener
from tests.hl7.helpers import message, msh, orm, oru, pid

VT, FS_CR = b"\x0b", b"\x1c\x0d"


def send(port: int, text: str | bytes) -> tuple[str, str, str]:
    with hl7.client.MLLPClient("127.0.0.1", port) as client:
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        answer = client.send(VT + data + FS_CR)
    return parse_ack(answer.strip(b"\x0b\x1c\x0d").decode("utf-8"))


def read_acks(sock: socket.socket, count: int, timeout: float = 10) -> list[bytes]:
    sock.settimeout(timeout)
    buffer = b""
    while buffer.count(FS_CR) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    return [frame.strip(b"\x0b") for frame in buffer.split(FS_CR) if frame]


def test_order_over_mllp_is_applied_before_its_aa(mllp_listener):
    code, control_id, _ = send(mllp_listener.port, orm("CTRL1", "ACC1"))
    assert (code, control_id) == ("AA", "CTRL1")
    order = Order.objects.get(accession_number="ACC1")
    assert order.procedure_text == "CT CHEST WITH CONTRAST"
    assert InboundMessage.objects.get().status == "applied"


def test_retransmitted_message_is_acked_not_reapplied(mllp_listener):
    report = oru("CTRL2", "ACC2", ["IMPRESSION: normal chest."])
    assert send(mllp_listener.port, report)[0] == "AA"
    assert send(mllp_listener.port, report)[0] == "AA"
    assert ReportVersion.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="report.finalized").count() == 1
    statuses = list(InboundMessage.objects.order_by("id").values_list("status", flat=True))
    assert statuses == ["applied", "duplicate"]


def test_reused_control_id_with_new_content_is_applied_and_flagged(mllp_listener):
    send(mllp_listener.port, oru("SAME", "ACC3", ["first text"]))
    code, _, _ = send(mllp_listener.port, oru("SAME", "ACC3", ["corrected text"], status="C"))
    assert code == "AA"
    assert ReportVersion.objects.count() == 2
    assert InboundMessage.objects.filter(control_id_reused=True).count() == 1


def test_enhanced_mode_sender_gets_commit_accept(mllp_listener):
    assert send(mllp_listener.port, orm("E1", "ACC4", enhanced=True))[0] == "CA"


def test_unsupported_message_type_is_rejected_with_reason(mllp_listener):
    text = message(msh("RDE^O11", "U1"), pid())
    code, control_id, reason = send(mllp_listener.port, text)
    assert (code, control_id) == ("AR", "U1")
    assert "does not accept RDE^O11" in reason
    assert InboundMessage.objects.get().status == "rejected"


def test_order_without_patient_gets_ae_naming_the_segment(mllp_listener):
    text = orm("NP1", "ACC5").replace(pid(), "PID|1")
    code, _, reason = send(mllp_listener.port, text)
    assert code == "AE"
    assert "PID-3" in reason
    assert not Order.objects.exists()


def test_garbage_is_rejected_and_the_listener_keeps_serving(mllp_listener):
    code, _, reason = send(mllp_listener.port, b"\x00\xff garbage, not HL7 at all")
    assert code == "AR"
    assert "MSH" in reason
    assert send(mllp_listener.port, orm("OK1", "ACC6"))[0] == "AA"
    assert InboundMessage.objects.filter(status="rejected").count() == 1


def test_wrong_character_set_is_rejected_not_garbled(mllp_listener):
    text = orm("CS1", "ACC7").replace("|2.5.1", "|2.5.1||||||UNICODE UTF-8", 1)
    raw = text.replace("DOE", "DÖE").encode("latin-1")
    code, _, reason = send(mllp_listener.port, raw)
    assert code == "AR"
    assert "UTF-8" in reason
    assert not Order.objects.exists()


def test_several_frames_in_one_write_are_acked_in_order(mllp_listener):
    frames = b"".join(VT + orm(f"B{n}", f"ACCB{n}").encode() + FS_CR for n in range(5))
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(b"stray bytes" + frames)
        acks = read_acks(sock, 5)
    assert [parse_ack(a.decode())[1] for a in acks] == [f"B{n}" for n in range(5)]
    assert Order.objects.count() == 5


def test_one_connection_applies_order_then_reports_in_sequence(mllp_listener):
    stream = [
        orm("S1", "ACCS"),
        oru("S2", "ACCS", ["preliminary reading"], status="P"),
        oru("S3", "ACCS", ["final reading"], status="F"),
        oru("S4", "ACCS", ["final reading, corrected"], status="C"),
    ]
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(b"".join(VT + m.encode() + FS_CR for m in stream))
        read_acks(sock, 4)
    versions = list(ReportVersion.objects.order_by("number").values_list("status", flat=True))
    assert versions == ["preliminary", "final", "corrected"]
    assert Order.objects.get().status == "corrected"


def test_frame_split_over_many_writes_is_reassembled(mllp_listener):
    data = VT + orm("SPLIT", "ACC8").encode() + FS_CR
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        for start in range(0, len(data), 7):
            sock.sendall(data[start : start + 7])
        ack = read_acks(sock, 1)[0]
    assert parse_ack(ack.decode())[:2] == ("AA", "SPLIT")


def test_oversized_message_is_refused_and_connection_survives(mllp_listener, settings):
    settings.HL7_MAX_MESSAGE_BYTES = 2000
    big = oru("BIG", "ACC9", ["x" * 100] * 50)
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(VT + big.encode() + FS_CR + VT + orm("SMALL", "ACC10").encode() + FS_CR)
        acks = read_acks(sock, 2)
    assert parse_ack(acks[0].decode())[0] == "AR"
    assert "larger than 2000 bytes" in parse_ack(acks[0].decode())[2]
    assert parse_ack(acks[1].decode())[:2] == ("AA", "SMALL")


def test_slow_sender_that_never_finishes_a_frame_is_disconnected(mllp_listener, settings):
    settings.HL7_FRAME_TIMEOUT_SECONDS = 1
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(VT + b"MSH|^~\\&|SLOW|")
        sock.settimeout(10)
        started = time.monotonic()
        assert sock.recv(100) == b""  # closed by the listener
        assert time.monotonic() - started < 8
    assert send(mllp_listener.port, orm("AFTER", "ACC11"))[0] == "AA"


def test_truncated_frame_then_disconnect_loses_nothing_acked(mllp_listener):
    with socket.create_connection(("127.0.0.1", mllp_listener.port)) as sock:
        sock.sendall(VT + orm("CUT", "ACC12").encode()[:200])
    assert send(mllp_listener.port, orm("NEXT", "ACC13"))[0] == "AA"
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["NEXT"]


def test_accept_mode_sender_is_acked_after_journal_and_applied_right_after(mllp_listener, settings):
    settings.HL7_ACCEPT_MODE_SENDERS = ["FASTRIS"]
    code, _, _ = send(mllp_listener.port, orm("ACPT", "ACC14", app="FASTRIS"))
    assert code == "AA"
    deadline = time.monotonic() + 10
    while not Order.objects.filter(accession_number="ACC14").exists():
        assert time.monotonic() < deadline, "accepted message was never applied"
        time.sleep(0.05)
    assert InboundMessage.objects.get().status == "applied"


@pytest.mark.django_db(transaction=True)
def test_sender_outside_allow_list_is_refused(settings):
    settings.HL7_ALLOWED_SENDERS = ["10.9.9.0/24"]
    running = RunningListener().start()
    try:
        with socket.create_connection(("127.0.0.1", running.port)) as sock:
            sock.settimeout(5)
            try:
                sock.sendall(VT + orm("NO", "ACC15").encode() + FS_CR)
                assert sock.recv(100) == b""  # closed without an answer
            except ConnectionResetError:
                pass
    finally:
        running.stop()
    assert not InboundMessage.objects.exists()


def test_allow_list_admits_listed_networks(settings):
    settings.HL7_ALLOWED_SENDERS = ["127.0.0.0/8", "::1"]
    listener = MLLPListener("127.0.0.1", 0)
    assert listener.admitted("127.0.0.1")
    assert not listener.admitted("192.0.2.7")
