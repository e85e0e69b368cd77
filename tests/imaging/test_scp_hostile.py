"""Hostile input at the SCP: a clear failure status, nothing half-stored, service goes on."""

import contextlib
import os
import socket
import struct
import subprocess
import sys
import time

import pytest
from django.db import connection
from pydicom import dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE

from radbridge.imaging.models import Instance
from tests.hl7.ris import free_port

from .conftest import copy_with_new_uids, dcmtk, sample, stored_files
from .senders import associate_rq, send_files

CT = [(CTImageStorage, ExplicitVRLittleEndian), (CTImageStorage, ImplicitVRLittleEndian)]


@pytest.fixture
def good_ct(tmp_path):
    return copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "good.dcm")


def hostile_then_good(scp, hostile, good_ct):
    answers = send_files(scp.port, [hostile, good_ct], CT)
    assert answers[1][0] == 0, "the SCP must keep serving after hostile input"
    assert Instance.objects.get().sop_instance_uid == dcmread(good_ct).SOPInstanceUID
    return answers[0]


def test_truncated_file_is_refused_and_nothing_is_stored(scp, dicom_storage_dir, good_ct,
                                                         tmp_path):
    truncated = tmp_path / "truncated.dcm"
    source = copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "whole.dcm")
    truncated.write_bytes(source.read_bytes()[:-3000])
    status, comment = hostile_then_good(scp, truncated, good_ct)
    assert status == 0xC000 and "truncated" in comment
    assert len(stored_files(dicom_storage_dir)) == 1


def test_file_that_lies_about_an_element_length_is_refused(scp, dicom_storage_dir, good_ct,
                                                           tmp_path):
    data = bytearray(copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "a.dcm").read_bytes())
    at = data.index(b"\x10\x00\x10\x00PN")  # (0010,0010) Patient Name, explicit VR
    data[at + 6:at + 8] = struct.pack("<H", 0xFFF0)  # claims 65,520 bytes of name
    liar = tmp_path / "liar.dcm"
    liar.write_bytes(bytes(data))
    status, comment = hostile_then_good(scp, liar, good_ct)
    assert status == 0xC000, comment
    assert len(stored_files(dicom_storage_dir)) == 1


def test_pixel_data_shorter_than_the_image_needs_is_refused(scp, good_ct, tmp_path):
    dataset = dcmread(copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "a.dcm"))
    dataset.PixelData = dataset.PixelData[:1000]
    dataset.save_as(tmp_path / "short.dcm")
    status, comment = hostile_then_good(scp, tmp_path / "short.dcm", good_ct)
    assert status == 0xC000 and "disagree" in comment


def test_dataset_in_another_transfer_syntax_than_announced_is_refused(scp, good_ct, tmp_path):
    dataset = dcmread(copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "a.dcm"))
    dataset.save_as(tmp_path / "explicit.dcm", enforce_file_format=True)  # explicit VR
    data = (tmp_path / "explicit.dcm").read_bytes()
    # The File Meta now claims Implicit VR Little Endian for explicit VR data.
    lying = data.replace(ExplicitVRLittleEndian.encode() + b"\x00",
                         ImplicitVRLittleEndian.encode() + b"\x00\x00\x00", 1)
    assert lying != data
    (tmp_path / "wrong_syntax.dcm").write_bytes(lying)
    status, comment = hostile_then_good(scp, tmp_path / "wrong_syntax.dcm", good_ct)
    assert status == 0xC000 and "explicit VR" in comment


def test_unknown_sop_class_gets_no_presentation_context(scp, dicom_storage_dir, tmp_path):
    odd = copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "odd.dcm",
                             SOPClassUID="1.2.3.4.5.6.7.8.9")
    dataset = dcmread(odd)
    dataset.file_meta.MediaStorageSOPClassUID = "1.2.3.4.5.6.7.8.9"
    dataset.save_as(odd)
    result = dcmtk("storescu", "127.0.0.1", str(scp.port), str(odd))
    assert result.returncode != 0
    assert "presentation context" in (result.stderr + result.stdout).lower()
    assert stored_files(dicom_storage_dir) == []
    assert dcmtk("echoscu", "127.0.0.1", str(scp.port)).returncode == 0


def test_stalled_association_is_closed_while_others_are_served(scp):
    stalled = socket.create_connection(("127.0.0.1", scp.port))
    # An A-ASSOCIATE-RQ header announcing 200 bytes, then silence.
    stalled.sendall(struct.pack(">BBL", 0x01, 0, 200) + b"\x00\x01")
    started = time.monotonic()
    assert dcmtk("echoscu", "127.0.0.1", str(scp.port)).returncode == 0
    stalled.settimeout(30)  # the SCP's network timeout is 5 s in tests
    with stalled:
        while stalled.recv(1024):
            pass  # whatever the server says before it closes the link
    assert time.monotonic() - started < 20


def test_disk_full_answers_out_of_resources_and_leaves_nothing(scp, dicom_storage_dir,
                                                               good_ct, tmp_path):
    dicom_storage_dir.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                              str(dicom_storage_dir)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        big = copy_with_new_uids(sample("CT_small.dcm"), tmp_path / "big.dcm")
        dataset = dcmread(big)
        dataset.Rows = dataset.Columns = 256  # 128 KB of pixels: more than the disk holds
        dataset.PixelData = bytes(256 * 256 * 2)
        dataset.save_as(big)
        answers = send_files(scp.port, [big, good_ct], CT)
        assert answers[0][0] == 0xA700 and "ENOSPC" in answers[0][1]
        assert answers[1][0] == 0  # a small one still fits
        assert [p.name.startswith(".incoming") for p in stored_files(dicom_storage_dir)] == [
            False]
        assert Instance.objects.count() == 1
    finally:
        subprocess.run(["umount", str(dicom_storage_dir)], check=True)


def test_database_down_answers_failure_and_writes_nothing(tmp_path, good_ct, db):
    if connection.vendor == "postgresql":
        broken = f"postgres://postgres@127.0.0.1:{free_port()}/unreachable"
    else:
        broken = f"sqlite:///{tmp_path}/no/such/folder/radbridge.sqlite3"
    port = free_port()
    storage = tmp_path / "dicom"
    env = {**os.environ, "DATABASE_URL": broken, "RADBRIDGE_HOME": str(tmp_path / "home"),
           "RADBRIDGE_DICOM_PORT": str(port), "RADBRIDGE_DICOM_STORAGE": str(storage)}
    server = subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "dicom", "--no-migrate"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:
            if "RadBridge running" in line:
                break
        answers = send_files(port, [good_ct], CT)
        assert answers[0][0] == 0xC001 and "database" in answers[0][1]
        assert stored_files(storage) == []
    finally:
        server.terminate()
        server.wait(30)


def test_association_stalling_in_the_middle_of_a_dataset_stores_nothing(scp, dicom_storage_dir,
                                                                        good_ct):
    ae = AE(ae_title="STALLER")
    ae.add_requested_context(CTImageStorage, ExplicitVRLittleEndian)
    assoc = ae.associate("127.0.0.1", scp.port, ae_title="RADBRIDGE")
    assert assoc.is_established
    raw = assoc.dul.socket.socket
    # A P-DATA-TF announcing 10,000 bytes of which 100 ever arrive.
    raw.sendall(struct.pack(">BBL", 0x04, 0, 10_000) + bytes(100))
    started = time.monotonic()
    assert send_files(scp.port, [good_ct], CT) == [(0, "")]  # others are served meanwhile
    raw.settimeout(30)  # the SCP's network timeout is 5 s in tests
    with contextlib.suppress(OSError):
        while raw.recv(1024):
            pass
    assert time.monotonic() - started < 20
    assoc.abort()
    assert len(stored_files(dicom_storage_dir)) == 1 and Instance.objects.count() == 1


def test_garbage_pdu_in_an_association_is_aborted_and_the_scp_serves_on(scp, good_ct):
    with socket.create_connection(("127.0.0.1", scp.port), timeout=10) as raw:
        raw.sendall(associate_rq(calling=b"GARBAGE"))
        raw.sendall(struct.pack(">BBL", 0x04, 0, 6) + b"\x00\x00\x00\x02\x01\x03")  # 2-byte PDV
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := raw.recv(1024):
                answer += chunk
    assert answer[0] == 0x02 and answer.endswith(b"\x07\x00\x00\x00\x00\x04\x00\x00\x02\x06")
    assert send_files(scp.port, [good_ct], CT) == [(0, "")]
    assert Instance.objects.count() == 1


def test_half_received_files_left_by_a_crash_are_swept_at_start(transactional_db, settings,
                                                                dicom_storage_dir, good_ct):
    """A crash mid-transfer leaves an incoming file that was never indexed nor answered: the
    next start deletes it. A file written recently may be another SCP process's live transfer
    on the same storage, so it is left alone."""
    from .conftest import RunningSCP

    settings.DICOM_NETWORK_TIMEOUT_SECONDS = 5
    incoming = dicom_storage_dir / ".incoming"
    incoming.mkdir(parents=True)
    stale, live = incoming / "crashed.part", incoming / "busy.part"
    stale.write_bytes(b"DICM half a dataset")
    live.write_bytes(b"DICM still arriving")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    running = RunningSCP().start()
    try:
        assert not stale.exists()
        assert live.exists()
        result = dcmtk("storescu", "127.0.0.1", str(running.port), str(good_ct))
        assert result.returncode == 0, result.stderr
        assert Instance.objects.count() == 1
    finally:
        running.stop()
