"""The roles every installation has: the web server and the background worker."""

from __future__ import annotations

import asyncio
import logging
import threading

from django.conf import settings

from . import jobs

log = logging.getLogger(__name__)


class WebServer:
    """Django over uvicorn (ASGI), in the serving process's event loop."""

    def __init__(self):
        import uvicorn

        config = uvicorn.Config(
            "radbridge.asgi:application", host=settings.BIND_ADDRESS, port=settings.HTTP_PORT,
            lifespan="off", log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started and not self.task.done():
            await asyncio.sleep(0.05)
        if self.task.done():
            self.task.result()  # raises the start-up error, e.g. port in use
            raise RuntimeError(f"web server did not start on port {settings.HTTP_PORT}")
        log.info("web on http://%s:%d/", settings.BIND_ADDRESS, settings.HTTP_PORT)

    async def stop(self) -> None:
        self.server.should_exit = True
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
