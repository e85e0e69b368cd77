"""Several web processes on one machine (`RADBRIDGE_WEB_WORKERS`): one Python process
serves pages on one core, so a machine with more cores runs more of them.

The process that runs `radbridge serve` opens the listening socket and starts the others as
`radbridge serve --role web --no-migrate`, which inherit the socket: the kernel hands each
new connection to whichever process accepts it first, and no port or proxy is added. The
other roles (mllp, dicom, worker) run once, in the first process. A web process that dies is
started again; on stop each gets SIGTERM and finishes its in-flight requests.
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

# Set only for the processes started here: the number of the socket they inherit.
INHERITED_SOCKET_ENV = "RADBRIDGE_WEB_LISTEN_FD"
STOP_GRACE_SECONDS = 30
WATCH_SECONDS = 1.0


def inherited_socket() -> socket.socket | None:
    """The listening socket this process was given by the first web process, if any."""
    fd = os.environ.get(INHERITED_SOCKET_ENV)
    return socket.socket(fileno=int(fd)) if fd else None


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on host:port that child processes can inherit."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family, backlog=2048)
    sock.set_inheritable(True)
    return sock


class ExtraWebProcesses:
    """`count` more web processes sharing `sock`, kept running until `stop()`."""

    def __init__(self, sock: socket.socket, count: int):
        self.sock, self.count = sock, count
        self.processes: list[subprocess.Popen] = []
        self.stopping = False
        self.watcher: asyncio.Task | None = None

    def spawn(self) -> subprocess.Popen:
        fd = self.sock.fileno()
        env = {**os.environ, INHERITED_SOCKET_ENV: str(fd), "RADBRIDGE_WEB_WORKERS": "1"}
        return subprocess.Popen(
            [sys.executable, "-m", "radbridge.cli", "serve", "--role", "web", "--no-migrate"],
            env=env, pass_fds=(fd,),
        )

    async def start(self) -> None:
        self.processes = [self.spawn() for _ in range(self.count)]
        self.watcher = asyncio.create_task(self.keep_running())
        log.info("web: %d more processes on the same port", self.count)

    async def keep_running(self) -> None:
        while not self.stopping:
            for index, process in enumerate(self.processes):
                if process.poll() is not None and not self.stopping:
                    log.warning("web process %d exited with %s: starting another",
                                process.pid, process.returncode)
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

    @staticmethod
    def wait_or_kill(process: subprocess.Popen) -> None:
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            log.error("web process %d did not stop in %d s: killed", process.pid,
                      STOP_GRACE_SECONDS)
            process.kill()
            process.wait()
