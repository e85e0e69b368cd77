"""Periodic background jobs, registered by each app in one place and run by the worker role.

A job is a plain function that is safe to run twice (idempotent), given a name and an
interval. The worker runs each in turn with its own actor, so what a job changes is audited
as "worker:<name>", and a failing job is logged with its name and retried next round.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

from .audit import Actor, acting_as

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    name: str
    function: Callable[[], object]
    interval_seconds: float
    next_run: float = 0.0


_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, function: Callable[[], object], interval_seconds: float) -> None:
    _jobs[name] = PeriodicJob(name, function, interval_seconds)


def run_due_jobs() -> None:
    for job in list(_jobs.values()):
        if time.monotonic() < job.next_run:
            continue
        with acting_as(Actor(name=f"worker:{job.name}", role="worker")):
            try:
                job.function()
            except Exception:  # noqa: BLE001 - one job's failure must not stop the others
                log.exception(
                    "background job %s failed; it runs again in %.0fs",
                    job.name,
                    job.interval_seconds,
                )
                close_old_connections()
        job.next_run = time.monotonic() + job.interval_seconds


def run_forever(stop: threading.Event, tick_seconds: float = 0.2) -> None:
    while not stop.is_set():
        run_due_jobs()
        stop.wait(tick_seconds)
