"""`RADBRIDGE_DICOM_WORKERS=2 radbridge serve --role dicom`: two real SCP processes accept on
one port, parallel storescu associations are all stored and indexed once, a killed process
is started again, and SIGTERM stops them all."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest

from radbridge.imaging.models import DicomAssociation, Instance
from tests.hl7.ris import free_port
from tests.notify.conftest import wait_for
from tests.processes import is_running, serving_pids, start_serve

from .conftest import copy_with_new_uids, dcmtk, sample, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


def test_dicom_workers_share_one_port_store_once_restart_and_stop_together(tmp_path):
    port = free_port()
    studies = []
    for batch in range(4):
        folder = tmp_path / f"send-{batch}"
        folder.mkdir()
        studies.append([copy_with_new_uids(sample("CT_small.dcm"), folder / f"{n}.dcm")
                        for n in range(3)])
    server = start_serve("dicom", tmp_path, DICOM_PORT=str(port), DICOM_WORKERS="2",
                         DICOM_STORAGE=str(tmp_path / "dicom"))
    try:
        assert wait_for(lambda: len(serving_pids("dicom")) == 2, timeout=60), "two DICOM processes"

        def send(files):
            return dcmtk("storescu", "-aec", "RADBRIDGE", "127.0.0.1", str(port),
                         *map(str, files))

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, studies))
        assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
        assert Instance.objects.count() == 12
        assert len(stored_files(tmp_path / "dicom")) == 12
        assert wait_for(lambda: DicomAssociation.objects.count() == 4, timeout=30)

        first = serving_pids("dicom")
        child = next(pid for pid in first if pid != server.pid)
        os.kill(child, signal.SIGKILL)
        restarted = wait_for(lambda: len(serving_pids("dicom") - first) == 1, timeout=60)
        assert restarted, "not restarted"
        assert dcmtk("echoscu", "-aec", "RADBRIDGE", "127.0.0.1", str(port)).returncode == 0
        # The same instances again, after the restart: answered success, stored once.
        assert send(studies[0]).returncode == 0
        assert Instance.objects.count() == 12
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    finally:
        server.kill()
    assert not any(is_running(pid) for pid in serving_pids("dicom") - {server.pid})
