"""Several processes of one role on one port (`RADBRIDGE_WEB_WORKERS`,
`RADBRIDGE_DICOM_WORKERS`): one Python process works on one core, so a machine with more
cores runs more of them.

The process that runs `radbridge serve` opens the role's listening socket and starts the
others as `radbridge serve --role ROLE --no-migrate`, which inherit the socket: the kernel
hands each new connection to whichever process accepts it first, and no port or proxy is
added. The other roles run once, in the first process. A sibling that dies is started
again; on stop each gets SIGTERM and finishes its in-flight work.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 30
WATCH_SECONDS = 1.0


def socket_variable(role: str) -> str:
    """Set only for the siblings started here: the number of the socket they inherit."""
    return f"RADBRIDGE_{role.upper()}_LISTEN_FD"


def inherited_socket(role: str) -> socket.socket | None:
    """The listening socket this process was given by the role's first process, if any."""
    fd = os.environ.get(socket_variable(role))
    return socket.socket(fileno=int(fd)) if fd else None


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port that child processes can inherit."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


class SiblingProcesses:
    """`count` more processes of `role` sharing `sock`, kept running until `stop()`."""

    def __init__(self, role: str, sock: socket.socket, count: int):
        self.role, self.sock, self.count = role, sock, count
        self.processes: list[subprocess.Popen] = []
        self.stopping = False
        self.watcher: asyncio.Task | None = None

    def spawn(self) -> subprocess.Popen:
        fd = self.sock.fileno()
        env = {**os.environ, socket_variable(self.role): str(fd),
               f"RADBRIDGE_{self.role.upper()}_WORKERS": "1"}
        return subprocess.Popen(
            [sys.executable, "-m", "radbridge.cli", "serve", "--role", self.role,
             "--no-migrate"],
            env=env, pass_fds=(fd,),
        )

    async def start(self) -> None:
        self.processes = [self.spawn() for _ in range(self.count)]
        self.watcher = asyncio.create_task(self.keep_running())
        log.info("%s: %d more processes on the same port", self.role, self.count)

    async def keep_running(self) -> None:
        while not self.stopping:
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self.stopping:
                    log.warning("%s process %d exited with %s: starting another",
                                self.role, process.pid, process.returncode)
                    self.processes[index] = self.spawn()
            await asyncio.sleep(WATCH_SECONDS)

    async def stop(self) -> None:
        self.stopping = True
        if self.watcher is not None:
            self.watcher.cancel()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()
        for process in self.processes:
            await loop.run_in_executor(None, self.wait_or_kill, process)

    def wait_or_kill(self, process: subprocess.Popen) -> None:
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("%s process %d did not stop in %d s: killed", self.role, process.pid,
                      STOP_GRACE_SECONDS)
            process.kill()
            process.wait()
