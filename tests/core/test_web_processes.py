"""`RADBRIDGE_WEB_WORKERS=3 radbridge serve --role web`: three real web processes answer on
one port, a killed one is started again, and SIGTERM stops them all."""

import os
import signal
import subprocess
import sys
import urllib.request

import pytest

from radbridge.core.models import Heartbeat
from tests.hl7.ris import free_port
from tests.hl7.test_crash_safety import database_url
from tests.notify.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def web_pids() -> set[int]:
    return set(Heartbeat.objects.filter(role="web").values_list("pid", flat=True))


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_web(tmp_path, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "RADBRIDGE_HOME": str(tmp_path),
           "RADBRIDGE_HTTP_PORT": str(port), "RADBRIDGE_WEB_WORKERS": str(workers),
           "RADBRIDGE_AUDIT_SEAL_SECONDS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", "web", "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def health_status(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as answer:
        return answer.status


def test_web_workers_share_one_port_restart_when_killed_and_stop_together(tmp_path):
    port = free_port()
    server = start_web(tmp_path, port, workers=3)
    try:
        assert wait_for(lambda: len(web_pids()) == 3, timeout=60), "three web processes"
        assert all(health_status(port) == 200 for _ in range(20))
        first = web_pids()
        child = next(pid for pid in first if pid != server.pid)
        os.kill(child, signal.SIGKILL)
        assert wait_for(lambda: len(web_pids() - first) == 1, timeout=60), "not restarted"
        assert health_status(port) == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
    finally:
        server.kill()
    assert not any(is_running(pid) for pid in web_pids() - {server.pid})
