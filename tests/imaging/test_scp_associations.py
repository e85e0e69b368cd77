"""The association log: every association that reaches the SCP leaves one row saying how it
ended and what it carried, sent by DCMTK (echoscu, storescu) or a raw socket, whatever the
ending; a failure to write the row never costs the SCP its service."""

import logging
import socket
import struct
import time

import pytest
from django.db import DatabaseError
from pydicom import dcmread

from radbridge.imaging.choices import AssociationOutcome
from radbridge.imaging.models import DicomAssociation, Instance
from tests.personas import make_centre_admin, sign_in

from .conftest import copy_with_new_uids, dcmtk, sample
from .senders import EXPLICIT_LE, associate_rq, dataset_fragment, store_command

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"


def logged(count: int = 1, timeout: float = 10.0) -> list[DicomAssociation]:
    """The association rows, oldest first, once `count` are written (after the peer left)."""
    deadline = time.monotonic() + timeout
    while DicomAssociation.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = list(DicomAssociation.objects.order_by("id"))
    assert len(rows) == count, [(row.outcome, row.reason) for row in rows]
    return rows


@pytest.fixture
def ct_files(tmp_path):
    return [copy_with_new_uids(sample("CT_small.dcm"), tmp_path / f"{n}.dcm",
                               StudyInstanceUID="1.2.3.77", InstanceNumber=n)
            for n in range(1, 3)]


def test_stored_files_give_one_released_row_with_their_counts(scp, ct_files):
    result = dcmtk("storescu", "-aet", "CT01", "-aec", "RADBRIDGE", "127.0.0.1",
                   str(scp.port), *map(str, ct_files))
    assert result.returncode == 0, result.stderr
    [row] = logged(1)
    assert (row.outcome, row.reason, row.calling_ae_title, row.called_ae_title) == (
        AssociationOutcome.RELEASED, "", "CT01", "RADBRIDGE")
    assert (row.stores_succeeded, row.stores_failed, row.stores_duplicate, row.echoes) == (
        2, 0, 0, 0)
    assert row.peer_address == "127.0.0.1" and not row.has_problem
    assert row.bytes_received > sum(path.stat().st_size for path in ct_files) - 2 * 400
    assert 0 < row.duration_seconds < 30


def test_files_sent_again_are_counted_as_duplicates(scp, ct_files):
    for _ in range(2):
        assert dcmtk("storescu", "127.0.0.1", str(scp.port), *map(str, ct_files)).returncode == 0
    first, second = logged(2)
    assert (first.stores_succeeded, first.stores_duplicate) == (2, 0)
    assert (second.stores_succeeded, second.stores_duplicate, second.stores_failed) == (0, 2, 0)


def test_echo_is_counted(scp):
    assert dcmtk("echoscu", "-aet", "MR02", "127.0.0.1", str(scp.port)).returncode == 0
    [row] = logged(1)
    assert (row.outcome, row.echoes, row.stores_succeeded, row.calling_ae_title) == (
        AssociationOutcome.RELEASED, 1, 0, "MR02")


def test_unknown_calling_ae_title_gives_a_rejected_row_with_the_reason(guarded_scp):
    scp = guarded_scp(DICOM_ALLOWED_AE_TITLES=["CT01"])
    assert dcmtk("echoscu", "-aet", "INTRUDER", "127.0.0.1", str(scp.port)).returncode != 0
    [row] = logged(1)
    assert (row.outcome, row.calling_ae_title) == (AssociationOutcome.REJECTED, "INTRUDER")
    assert "calling AE title 'INTRUDER' is not allowed" in row.reason
    assert row.echoes == 0 and row.has_problem


def test_wrong_called_ae_title_gives_a_rejected_row_when_it_is_checked(guarded_scp):
    scp = guarded_scp(DICOM_CHECK_CALLED_AE_TITLE=True, AE_TITLE="RADBRIDGE")
    assert dcmtk("echoscu", "-aec", "PACS", "127.0.0.1", str(scp.port)).returncode != 0
    assert dcmtk("echoscu", "-aec", "RADBRIDGE", "127.0.0.1", str(scp.port)).returncode == 0
    rejected, accepted = logged(2)
    assert (rejected.outcome, rejected.called_ae_title) == (AssociationOutcome.REJECTED, "PACS")
    assert "called AE title 'PACS' is not ours" in rejected.reason
    assert (accepted.outcome, accepted.echoes) == (AssociationOutcome.RELEASED, 1)


def test_address_not_allowed_gives_a_refused_row(guarded_scp):
    scp = guarded_scp(DICOM_ALLOWED_ADDRESSES=["10.0.0.0/8"])
    assert dcmtk("echoscu", "127.0.0.1", str(scp.port)).returncode != 0
    [row] = logged(1)
    assert (row.outcome, row.reason, row.peer_address) == (
        AssociationOutcome.REFUSED, "address not allowed", "127.0.0.1")


def test_no_acceptable_presentation_context_is_noted(scp):
    from radbridge.imaging.wire import pdu

    with socket.create_connection(("127.0.0.1", scp.port), timeout=10) as sock:
        sock.sendall(associate_rq([(1, "1.2.3.4.5.6.7.8.9", (EXPLICIT_LE,))], calling=b"ODD"))
        assert pdu.read_pdu(sock, 1 << 20)[0] == pdu.ASSOCIATE_AC  # every context refused
        sock.sendall(pdu.HEADER.pack(pdu.RELEASE_RQ, 4) + bytes(4))
        assert pdu.read_pdu(sock, 1 << 20)[0] == pdu.RELEASE_RP
    [row] = logged(1)
    assert (row.outcome, row.reason) == (AssociationOutcome.RELEASED,
                                         "no acceptable presentation context")
    assert row.has_problem


def dataset_of(path) -> bytes:
    """The dataset of a Part 10 file: what follows its File Meta group."""
    data = path.read_bytes()
    (meta_length,) = struct.unpack("<L", data[140:144])  # (0002,0000) group length
    return data[144 + meta_length:]


def store_over(sock: socket.socket, path, message_id: int, whole: bool = True) -> None:
    from radbridge.imaging.wire import pdu

    header = dcmread(path, stop_before_pixels=True)
    sock.sendall(pdu.p_data(1, store_command(CT_IMAGE, header.SOPInstanceUID, message_id)))
    dataset = dataset_of(path)
    if whole:
        sock.sendall(dataset_fragment(1, dataset, last=True))
        pdu_type, body = pdu.read_pdu(sock, 1 << 20)
        status_success = b"\x00\x00\x00\x09\x02\x00\x00\x00\x00\x00"  # (0000,0900) 0000H
        assert pdu_type == pdu.P_DATA_TF and status_success in body
    else:
        sock.sendall(dataset_fragment(1, dataset[:len(dataset) // 2]))


def test_association_aborted_in_the_middle_of_a_dataset_keeps_its_counts(scp, ct_files):
    from radbridge.imaging.wire import pdu

    explicit = str(dcmread(ct_files[0]).file_meta.TransferSyntaxUID)
    with socket.create_connection(("127.0.0.1", scp.port), timeout=10) as sock:
        sock.sendall(associate_rq([(1, CT_IMAGE, (explicit,))], calling=b"CT01"))
        assert pdu.read_pdu(sock, 1 << 20)[0] == pdu.ASSOCIATE_AC
        store_over(sock, ct_files[0], 1)
        store_over(sock, ct_files[1], 2, whole=False)
        sock.sendall(pdu.abort(pdu.SOURCE_USER))
    [row] = logged(1)
    assert (row.outcome, row.calling_ae_title) == (AssociationOutcome.ABORTED_BY_PEER, "CT01")
    assert "A-ABORT" in row.reason and "middle of a C-STORE dataset" in row.reason
    assert (row.stores_succeeded, row.stores_failed, row.stores_duplicate) == (1, 0, 0)
    assert Instance.objects.count() == 1


def test_protocol_error_gives_a_row_aborted_by_us_with_the_reason(scp):
    with socket.create_connection(("127.0.0.1", scp.port), timeout=10) as raw:
        raw.sendall(associate_rq(calling=b"GARBAGE"))
        raw.sendall(struct.pack(">BBL", 0x04, 0, 6) + b"\x00\x00\x00\x02\x01\x03")  # 2-byte PDV
        while raw.recv(1024):
            pass
    [row] = logged(1)
    assert (row.outcome, row.calling_ae_title) == (AssociationOutcome.ABORTED, "GARBAGE")
    assert row.reason == "command set lacks a readable Command Field or Message ID"


def test_silent_association_gives_a_timed_out_row(scp):
    with socket.create_connection(("127.0.0.1", scp.port), timeout=30) as stalled:
        stalled.sendall(struct.pack(">BBL", 0x01, 0, 200) + b"\x00\x01")  # then silence
        while stalled.recv(1024):
            pass
    [row] = logged(1)
    assert (row.outcome, row.reason) == (AssociationOutcome.TIMED_OUT, "silent for 5 s")


def test_database_error_while_logging_is_logged_and_the_scp_serves_on(scp, monkeypatch,
                                                                     caplog):
    create = DicomAssociation.objects.create
    calls = []

    def failing_once(**fields):
        calls.append(fields)
        if len(calls) == 1:
            raise DatabaseError("database is down")
        return create(**fields)

    monkeypatch.setattr(DicomAssociation.objects, "create", failing_once)
    with caplog.at_level(logging.ERROR, logger="radbridge.imaging.associations"):
        assert dcmtk("echoscu", "-aet", "FIRST", "127.0.0.1", str(scp.port)).returncode == 0
        assert dcmtk("echoscu", "-aet", "SECOND", "127.0.0.1", str(scp.port)).returncode == 0
        [row] = logged(1)
    assert row.calling_ae_title == "SECOND" and len(calls) == 2
    assert any("not logged" in message for message in caplog.messages)


def test_the_log_page_lists_the_association_for_an_administrator(scp, ct_files, client, actor):
    assert dcmtk("storescu", "-aet", "CT01", "127.0.0.1", str(scp.port),
                 str(ct_files[0])).returncode == 0
    logged(1)
    page = sign_in(client, make_centre_admin()).get("/interfaces/associations/")
    assert page.status_code == 200
    assert "CT01" in page.content.decode() and "Released" in page.content.decode()
