"""The DICOM upper layer on its own (no Django): negotiation, DIMSE, the header scan, and
hostile PDUs thrown at a real listening socket (hypothesis): a clear A-ABORT or rejection,
never a crash, and the server keeps serving."""

from __future__ import annotations

import socket
import struct
import threading
import time
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.data import get_testdata_files
from pydicom.multival import MultiValue
from pynetdicom import AE
from pynetdicom.dsutils import decode
from pynetdicom.sop_class import CTImageStorage, Verification

from radbridge.imaging import header_scan
from radbridge.imaging.header import read_with_pydicom
from radbridge.imaging.wire import acse, dimse, pdu
from radbridge.imaging.wire.record import AssociationRecord
from radbridge.imaging.wire.server import AssociationServer

from .senders import EXPLICIT_LE, IMPLICIT_LE, associate_rq, echo_command

POLICY = acse.Policy(
    abstract_syntaxes=frozenset({str(CTImageStorage), str(Verification)}),
    transfer_syntaxes=(IMPLICIT_LE, EXPLICIT_LE),
    max_pdu=64 * 1024,
    calling_ae_titles=frozenset({"FUZZ", "PYSCU"}),
)


class Collector:
    """A wire Application that keeps what it is sent (no storage, no Django)."""

    def __init__(self):
        self.datasets: list[bytes] = []
        self.records: list[AssociationRecord] = []

    def begin_store(self, association, command, transfer_syntax):
        collector, parts = self, []

        class Sink:
            duplicate = False

            def write(self, fragment):
                parts.append(bytes(fragment))

            def finish(self):
                collector.datasets.append(b"".join(parts))
                return 0x0000, ""

            def discard(self):
                parts.clear()

        return Sink()

    def between_requests(self):
        pass

    def association_ended(self):
        pass

    def association_finished(self, record):
        self.records.append(record)

    def records_delivered(self):
        pass


@pytest.fixture(scope="module")
def wire_server():
    crashes = []
    previous = threading.excepthook
    threading.excepthook = lambda args: crashes.append(args.exc_value)
    server = AssociationServer("127.0.0.1", 0, POLICY, Collector(), timeout=2,
                               max_associations=50, allowed_networks=[])
    server.start()
    server.crashes = crashes
    yield server
    server.stop(grace_seconds=1)
    threading.excepthook = previous


def exchange(port: int, payload: bytes) -> bytes:
    """Send `payload`, close our side, return all the server said before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may abort before it has read everything
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def still_serving(port: int) -> None:
    ae = AE(ae_title="PYSCU")
    ae.add_requested_context(Verification)
    assoc = ae.associate("127.0.0.1", port, ae_title="RADBRIDGE")
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0
    assoc.release()


def test_negotiation_accepts_known_contexts_and_refuses_the_others():
    body = associate_rq([(1, str(CTImageStorage), ("1.2.3", EXPLICIT_LE)),
                         (3, "1.2.3.4.5.6", (EXPLICIT_LE,)),
                         (5, str(CTImageStorage), ("1.2.840.10008.1.2.4.50",))])[6:]
    association, answer = acse.negotiate(body, POLICY)
    assert association.contexts == {1: (str(CTImageStorage), EXPLICIT_LE)}
    assert association.calling_ae_title == "FUZZ" and answer[0] == pdu.ASSOCIATE_AC
    results = [answer[i + 6] for i in range(len(answer) - 8) if answer[i:i + 2] == b"\x21\x00"]
    assert results == [acse.ACCEPTED, acse.ABSTRACT_SYNTAX_NOT_SUPPORTED,
                       acse.TRANSFER_SYNTAXES_NOT_SUPPORTED]


def test_calling_ae_title_outside_the_allow_list_is_rejected():
    with pytest.raises(acse.Rejected) as rejected:
        acse.negotiate(associate_rq(calling=b"INTRUDER")[6:], POLICY)
    assert rejected.value.answer == pdu.associate_rj(1, 1, 3)


def test_response_command_set_is_what_pynetdicom_reads():
    request = dimse.parse_command(echo_command(message_id=7))
    assert (request.command_field, request.message_id, request.has_dataset) == (0x30, 7, False)
    answer = decode(BytesIO(dimse.response(request, 0xC000, "x" * 80)), True, True)
    assert (answer.CommandField, answer.MessageIDBeingRespondedTo, answer.Status) == (
        0x8030, 7, 0xC000)
    assert answer.ErrorComment == "x" * 64  # LO holds 64 characters


@pytest.mark.parametrize("path", get_testdata_files("*.dcm"), ids=lambda p: Path(p).name)
def test_header_scan_reads_what_pydicom_reads_or_leaves_the_file_to_it(path):
    data = Path(path).read_bytes()
    scanned = header_scan.scan(data)
    if scanned is None:
        return  # big endian, deflated, odd: pydicom reads it
    syntax, values, position = scanned
    dataset, pydicom_syntax, pydicom_position = read_with_pydicom(data)
    assert (syntax, position) == (pydicom_syntax, pydicom_position)
    for keyword, value in values.items():
        theirs = dataset.get(keyword)
        if keyword == "SpecificCharacterSet" or theirs is None:
            assert theirs in (None, "") or keyword == "SpecificCharacterSet"
            continue
        if isinstance(theirs, MultiValue):
            theirs = "\\".join(str(v) for v in theirs)
        assert str(theirs).strip() == str(value), keyword


def test_oversized_pdu_is_aborted_before_its_body_is_read(wire_server):
    answer = exchange(wire_server.port, pdu.HEADER.pack(pdu.ASSOCIATE_RQ, 2**31) + bytes(10))
    assert answer == pdu.abort(pdu.SOURCE_PROVIDER, pdu.REASON_INVALID_PARAMETER)


def test_echo_over_the_raw_protocol_then_release(wire_server):
    command = echo_command()
    p_data = pdu.p_data(1, command)
    answer = exchange(wire_server.port, associate_rq() + p_data + pdu.HEADER.pack(
        pdu.RELEASE_RQ, 4) + bytes(4))
    assert answer[0] == pdu.ASSOCIATE_AC
    assert answer.endswith(pdu.release_rp())
    assert b"\x30\x80" in answer  # the C-ECHO-RSP command field


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=0, max_size=300))
def test_garbage_instead_of_an_association_request(wire_server, garbage):
    answer = exchange(wire_server.port, garbage)
    assert answer == b"" or answer[0] in (pdu.ABORT, pdu.ASSOCIATE_RJ, pdu.ASSOCIATE_AC)
    assert wire_server.crashes == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mangled_association_requests(wire_server, data):
    request = bytearray(associate_rq([(1, str(CTImageStorage), (EXPLICIT_LE,))]))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(request) - 1))
        request[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(request)))
    answer = exchange(wire_server.port, bytes(request[:cut]))
    assert answer == b"" or answer[0] in (pdu.ABORT, pdu.ASSOCIATE_RJ, pdu.ASSOCIATE_AC)
    assert wire_server.crashes == []


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pdu_type=st.integers(0, 255), body=st.binary(max_size=200),
       claimed=st.one_of(st.none(), st.integers(0, 2**32 - 1)))
def test_hostile_pdus_inside_an_association_are_aborted(wire_server, pdu_type, body, claimed):
    length = len(body) if claimed is None else claimed
    hostile = struct.pack(">BBL", pdu_type, 0, length) + body
    answer = exchange(wire_server.port, associate_rq() + hostile)
    assert answer[0] == pdu.ASSOCIATE_AC
    rest = answer[struct.unpack(">L", answer[2:6])[0] + 6:]
    # An abort, a release answer, a DIMSE answer, or silence when the PDU was cut short.
    assert rest == b"" or rest[0] in (pdu.ABORT, pdu.RELEASE_RP, pdu.P_DATA_TF)
    if pdu_type not in (pdu.P_DATA_TF, pdu.RELEASE_RQ, pdu.ABORT) and length == len(body) and (
            length <= POLICY.max_pdu):
        assert rest[0] == pdu.ABORT
    assert wire_server.crashes == []


def test_the_server_still_serves_after_the_fuzzing(wire_server):
    still_serving(wire_server.port)
    assert wire_server.crashes == []


def test_associations_beyond_the_limit_are_rejected_as_transient():
    server = AssociationServer("127.0.0.1", 0, POLICY, Collector(), timeout=5,
                               max_associations=1, allowed_networks=[])
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as first:
            first.sendall(associate_rq())
            assert first.recv(1)[0] == pdu.ASSOCIATE_AC
            answer = exchange(server.port, associate_rq())
            assert answer == pdu.associate_rj(acse.REJECTED_TRANSIENT, acse.SOURCE_PRESENTATION,
                                              acse.REASON_LOCAL_LIMIT)
    finally:
        server.stop(grace_seconds=1)


def records_of(server: AssociationServer, count: int) -> list[AssociationRecord]:
    """The records the server's application got, once `count` came (the recorder's thread)."""
    deadline = time.monotonic() + 10
    while len(server.application.records) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(server.application.records)


@pytest.fixture
def fresh_server():
    servers = []

    def start(application=None, **options):
        options = {"timeout": 5, "max_associations": 10, "allowed_networks": [], **options}
        servers.append(AssociationServer("127.0.0.1", 0, POLICY, application or Collector(),
                                         **options))
        servers[-1].start()
        return servers[-1]

    yield start
    for server in servers:
        server.stop(grace_seconds=1)


def test_record_of_an_echo_counts_it_and_every_byte_received(fresh_server):
    server = fresh_server()
    sent = associate_rq() + pdu.p_data(1, echo_command()) + pdu.HEADER.pack(
        pdu.RELEASE_RQ, 4) + bytes(4)
    assert exchange(server.port, sent).endswith(pdu.release_rp())
    [record] = records_of(server, 1)
    assert (record.outcome, record.reason, record.echoes, record.stores_succeeded) == (
        "released", "", 1, 0)
    assert (record.calling_ae_title, record.called_ae_title) == ("FUZZ", "RADBRIDGE")
    assert record.bytes_received == len(sent) and record.peer_address == "127.0.0.1"


def test_refusals_get_a_record_too(fresh_server):
    busy = fresh_server(max_associations=1)
    with socket.create_connection(("127.0.0.1", busy.port), timeout=10) as first:
        first.sendall(associate_rq())
        assert first.recv(1)[0] == pdu.ASSOCIATE_AC
        assert exchange(busy.port, associate_rq(calling=b"PYSCU"))[0] == pdu.ASSOCIATE_RJ
        [refused] = records_of(busy, 1)
    assert (refused.outcome, refused.calling_ae_title, refused.reason) == (
        "refused", "PYSCU", "too many associations (1 already)")
    closed = records_of(busy, 2)[1]
    assert closed.outcome == "aborted_by_peer" and "without release" in closed.reason

    fenced = fresh_server(allowed_networks=["10.0.0.0/8"])
    assert exchange(fenced.port, associate_rq()) == b""
    [record] = records_of(fenced, 1)
    assert (record.outcome, record.reason) == ("refused", "address not allowed")


def test_an_application_failing_to_take_a_record_does_not_stop_the_server(fresh_server):
    class Failing(Collector):
        def association_finished(self, record):
            if not getattr(self, "failed", False):
                self.failed = True
                raise RuntimeError("database is down")
            super().association_finished(record)

    server = fresh_server(Failing())
    still_serving(server.port)
    still_serving(server.port)
    [record] = records_of(server, 1)
    assert record.outcome == "released" and record.echoes == 1


def test_called_ae_title_is_checked_only_when_the_policy_names_ours():
    body = associate_rq()[6:]  # called "RADBRIDGE"
    assert acse.negotiate(body, POLICY)[0].called_ae_title == "RADBRIDGE"
    strict = acse.Policy(POLICY.abstract_syntaxes, POLICY.transfer_syntaxes, POLICY.max_pdu,
                         called_ae_titles=frozenset({"PACS"}))
    with pytest.raises(acse.Rejected, match="called AE title 'RADBRIDGE' is not ours") as no:
        acse.negotiate(body, strict)
    assert no.value.answer == pdu.associate_rj(1, 1, 7)


def test_associations_cut_by_a_stop_are_recorded_as_aborted_by_us(fresh_server):
    server = fresh_server()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as open_one:
        open_one.sendall(associate_rq())
        assert open_one.recv(1)[0] == pdu.ASSOCIATE_AC
        server.stop(grace_seconds=0.2)
        [record] = records_of(server, 1)
    assert (record.outcome, record.reason) == ("aborted", "RadBridge stopping")
