"""`radbridge serve` as a real process for tests: started against the test database, and
the processes of a role as their heartbeats name them."""

from __future__ import annotations

import os
import subprocess
import sys

from radbridge.core.models import Heartbeat
from tests.hl7.test_crash_safety import database_url


def start_serve(role: str, home, **settings: str) -> subprocess.Popen:
    """`radbridge serve --role ROLE` on the test database; `settings` are RADBRIDGE_*
    variables without the prefix (HTTP_PORT="8001")."""
    env = {**os.environ, "DATABASE_URL": database_url(), "RADBRIDGE_HOME": str(home),
           "RADBRIDGE_AUDIT_SEAL_SECONDS": "0",
           **{f"RADBRIDGE_{name}": value for name, value in settings.items()}}
    return subprocess.Popen(
        [sys.executable, "-m", "radbridge.cli", "serve", "--role", role, "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def serving_pids(role: str) -> set[int]:
    return set(Heartbeat.objects.filter(role=role).values_list("pid", flat=True))


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
