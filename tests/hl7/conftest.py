"""A real MLLP listener on a loopback port, served from its own event-loop thread."""

import asyncio
import threading

import pytest

from radbridge.hl7.listener import MLLPListener


class RunningListener:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.listener: MLLPListener | None = None

    def start(self) -> "RunningListener":
        self.thread.start()
        self.listener = MLLPListener("127.0.0.1", 0)
        asyncio.run_coroutine_threadsafe(self.listener.start(), self.loop).result(10)
        return self

    @property
    def port(self) -> int:
        return self.listener.port

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def mllp_listener(transactional_db, settings):
    running = RunningListener().start()
    yield running
    running.stop()
