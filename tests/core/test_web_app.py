"""The web role's application sends each request where it is served best: study downloads,
which stream for minutes, to Django's ASGI handler (a slow reader holds no request thread);
everything else to the WSGI thread pool."""

import io
import os
import socket
import time
import urllib.request
import zipfile

import pytest

from radbridge.core.web_app import streams
from tests.hl7.ris import free_port
from tests.imaging.conftest import dicom_storage_dir  # noqa: F401 - the files in tmp_path
from tests.imaging.helpers import receive
from tests.notify.conftest import wait_for
from tests.processes import start_serve
from tests.scenarios import patient_record


@pytest.mark.parametrize("path, streamed", [
    ("/studies/12/download/", True),
    ("/share/3/download/", True),
    ("/studies/12/", False),
    ("/studies/12/images/", False),
    ("/studies/", False),
    ("/health", False),
    ("/no/such/page/", False),
])
def test_only_study_downloads_go_to_the_asgi_handler(path, streamed):
    assert streams(path) is streamed


@pytest.mark.django_db(transaction=True)
def test_a_stalled_download_holds_no_request_thread(client, tmp_path, actor,
                                                     dicom_storage_dir):  # noqa: F811
    """One request thread only, a patient's phone that stops reading its 24 MB download:
    the next pages are answered all the same."""
    record = patient_record("Alice")
    for number in (2, 3, 4):  # large enough to fill every buffer between server and phone
        receive(record.study.study_instance_uid, accession=record.order.accession_number,
                patient_id=record.patient.identifiers.get().value, instance_number=number,
                Rows=2048, Columns=2048, PixelData=os.urandom(2048 * 2048 * 2))
    client.force_login(record.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    port = free_port()
    server = start_serve("web", tmp_path, HTTP_PORT=str(port), WEB_THREADS="1",
                         DICOM_STORAGE=str(dicom_storage_dir))
    try:
        assert wait_for(lambda: answers(port, "/health") == 200, timeout=60)
        with socket.create_connection(("127.0.0.1", port)) as phone:
            phone.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            phone.sendall(f"GET /studies/{record.order.pk}/download/ HTTP/1.1\r\n"
                          f"Host: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
            assert phone.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(2)  # the server fills the buffers and waits for the phone
            for _ in range(3):
                assert answers(port, f"/studies/{record.order.pk}/", cookie) == 200
        # A phone that reads gets the whole zip, streamed by the ASGI handler.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/studies/{record.order.pk}/download/",
            headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as answer:
            archive = zipfile.ZipFile(io.BytesIO(answer.read()))
        assert archive.testzip() is None and "DICOMDIR" in archive.namelist()
        assert sum("IM0" in name for name in archive.namelist()) == 4  # every image, once
    finally:
        server.terminate()
        server.wait(60)


def answers(port: int, path: str, cookie: str = "") -> int | None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except OSError:
        return None
