"""`RADBRIDGE_WEB_WORKERS=3 radbridge serve --role web`: three real web processes answer on
one port, a killed one is started again, and SIGTERM stops them all."""

import os
import signal
import urllib.request

import pytest

from tests.hl7.ris import free_port
from tests.notify.conftest import wait_for
from tests.processes import is_running, serving_pids, start_serve

pytestmark = pytest.mark.django_db(transaction=True)


def health_status(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
        return answer.status


def test_web_workers_share_one_port_restart_when_killed_and_stop_together(tmp_path):
    port = free_port()
    server = start_serve("web", tmp_path, HTTP_PORT=str(port), WEB_WORKERS="3")
    try:
        assert wait_for(lambda: len(serving_pids("web")) == 3, timeout=60), "three web processes"
        assert all(health_status(port) == 200 for _ in range(20))
        first = serving_pids("web")
        child = next(pid for pid in first if pid != server.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: len(serving_pids("web") - first) == 1, timeout=60), "not restarted"
        assert health_status(port) == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    finally:
        server.kill()
    assert not any(is_running(pid) for pid in serving_pids("web") - {server.pid})
