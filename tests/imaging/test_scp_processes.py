"""`RADBRIDGE_DICOM_WORKERS=2 radbridge serve --role dicom`: two real SCP processes accept on
one port, parallel storescu associations are all stored and indexed once, a killed process
is started again, and SIGTERM stops them all."""

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from radbridge.core.models import Heartbeat
from radbridge.imaging.models import DicomAssociation, Instance
from tests.hl7.ris import free_port
from tests.hl7.test_crash_safety import database_url
from tests.notify.conftest import wait_for

from .conftest import copy_with_new_uids, dcmtk, sample, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def dicom_pids() -> set[int]:
    return set(Heartbeat.objects.filter(role="dicom").values_list("pid", flat=True))


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_dicom(tmp_path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "RADBRIDGE_HOME": str(tmp_path),
           "RADBRIDGE_DICOM_PORT": str(port), "RADBRIDGE_DICOM_WORKERS": str(workers),
           "RADBRIDGE_AUDIT_SEAL_SECONDS": "0", "RADBRIDGE_DICOM_STORAGE": str(tmp_path / "dicom")}
    return subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "dicom", "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def test_dicom_workers_share_one_port_store_once_restart_and_stop_together(tmp_path):
    port = free_port()
    studies = []
    for batch in range(4):
        folder = tmp_path / f"send-{batch}"
        folder.mkdir()
        studies.append([copy_with_new_uids(sample("CT_small.dcm"), folder / f"{n}.dcm")
                        for n in range(3)])
    server = start_dicom(tmp_path, port, workers=2)
    try:
        assert wait_for(lambda: len(dicom_pids()) == 2, timeout=60), "two DICOM processes"

        def send(files):
            return dcmtk("storescu", "-aec", "RADBRIDGE", "127.0.0.1", str(port),
                         *map(str, files))

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, studies))
        assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
        assert Instance.objects.count() == 12
        assert len(stored_files(tmp_path / "dicom")) == 12
        assert wait_for(lambda: DicomAssociation.objects.count() == 4, timeout=30)

        first = dicom_pids()
        child = next(pid for pid in first if pid != server.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: len(dicom_pids() - first) == 1, timeout=60), "not restarted"
        assert dcmtk("echoscu", "-aec", "RADBRIDGE", "127.0.0.1", str(port)).returncode == 0
        # The same instances again, after the restart: answered success, stored once.
        assert send(studies[0]).returncode == 0
        assert Instance.objects.count() == 12
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    finally:
        server.kill()
    assert not any(is_running(pid) for pid in dicom_pids() - {server.pid})
