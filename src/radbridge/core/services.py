"""The roles every installation has: the web server and the background worker."""

from __future__ import annotations

import asyncio
import logging
import threading

from django.conf import settings

from . import jobs, sibling_processes

log = logging.getLogger(__name__)


class WebServer:
    """Django over uvicorn, in the serving process's event loop; with
    `RADBRIDGE_WEB_WORKERS` > 1, more processes share its socket (core/sibling_processes.py).

    The application is core/web_app.py's: Django on a pool of `RADBRIDGE_WEB_THREADS`
    threads, long downloads through its ASGI handler."""

    def __init__(self):
        import uvicorn

        from .web_app import WebApplication

        config = uvicorn.Config(
            WebApplication(settings.WEB_THREADS), host=settings.BIND_ADDRESS,
            port=settings.HTTP_PORT, lifespan="off", log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None
        self.sock = sibling_processes.inherited_socket("web")
        self.extra: sibling_processes.SiblingProcesses | None = None
        if self.sock is None and settings.WEB_WORKERS > 1:
            self.sock = sibling_processes.listening_socket(settings.BIND_ADDRESS,
                                                           settings.HTTP_PORT)
            self.extra = sibling_processes.SiblingProcesses("web", self.sock,
                                                            settings.WEB_WORKERS - 1)

    async def start(self) -> None:
        sockets = [self.sock] if self.sock is not None else None
        self.task = asyncio.create_task(self.server.serve(sockets=sockets))
        while not self.server.started and not self.task.done():
            await asyncio.sleep(0.05)
        if self.task.done():
            self.task.result()  # raises the start-up error, e.g. port in use
            raise RuntimeError(f"web server did not start on port {settings.HTTP_PORT}")
        if self.extra is not None:
            await self.extra.start()
        log.info("web on http://%s:%d/", settings.BIND_ADDRESS, settings.HTTP_PORT)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.extra is not None:
            await self.extra.stop()
        if self.task is not None:
            await self.task


class Worker:
    """Runs the registered periodic jobs (outbox relay, outbound sends, inbox) in a thread."""

    def __init__(self):
        self.stopping = threading.Event()
        self.thread = threading.Thread(
            target=jobs.run_forever, args=(self.stopping,), name="worker", daemon=True
        )

    async def start(self) -> None:
        self.thread.start()
        log.info("worker running")

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.get_running_loop().run_in_executor(None, self.thread.join, 30)
