"""System health for operators: each role's heartbeat, outbox lag, disk free, database.

`radbridge serve` runs a `HeartbeatThread` that writes one row per role it runs every
BEAT_SECONDS; a role is up when some process beat for it within STALE_AFTER. The checks
answer plain values (never raise), so the health page shows what is wrong instead of failing.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import DatabaseError, close_old_connections, connection
from django.db.models import Count, Max, Q
from django.utils import timezone

from . import outbox
from .models import Heartbeat

BEAT_SECONDS = 10
STALE_AFTER = timedelta(seconds=3 * BEAT_SECONDS)
FORGET_AFTER = timedelta(days=1)


def beat(roles: list[str], started_at: datetime) -> None:
    now, host, pid = timezone.now(), socket.gethostname(), os.getpid()
    for role in roles:
        Heartbeat.objects.update_or_create(
            role=role, host=host, pid=pid, defaults={"beat_at": now, "started_at": started_at}
        )
    Heartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


class HeartbeatThread(threading.Thread):
    def __init__(self, roles: list[str]):
        super().__init__(name="heartbeat", daemon=True)
        self.roles, self.stopping = list(roles), threading.Event()
        self.started_at = timezone.now()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                beat(self.roles, self.started_at)
            except DatabaseError:
                close_old_connections()  # the health page shows the database as down
            self.stopping.wait(BEAT_SECONDS)
        close_old_connections()

    def stop(self) -> None:
        self.stopping.set()
        self.join(BEAT_SECONDS)


@dataclass(frozen=True)
class RoleHealth:
    role: str
    up: bool
    last_beat: datetime | None
    processes: int  # processes that beat for the role recently


def role_health(role_names: list[str]) -> list[RoleHealth]:
    """Each role's last beat and how many processes beat for it recently: one grouped query."""
    horizon = timezone.now() - STALE_AFTER
    beats = {
        role: (last, recent)
        for role, last, recent in Heartbeat.objects.values_list("role").annotate(
            last=Max("beat_at"), recent=Count("id", filter=Q(beat_at__gte=horizon))
        ).order_by()
    }
    health = []
    for role in role_names:
        last, recent = beats.get(role, (None, 0))
        health.append(RoleHealth(role, recent > 0, last, recent))
    return health


@dataclass(frozen=True)
class ConsumerLag:
    consumer: str
    oldest_pending_at: datetime | None

    @property
    def lag_seconds(self) -> float:
        if self.oldest_pending_at is None:
            return 0.0
        return max(0.0, (timezone.now() - self.oldest_pending_at).total_seconds())


def outbox_lag() -> list[ConsumerLag]:
    """For each event consumer: when its oldest event still waiting was written."""
    lags = []
    for consumer in outbox.consumers():
        oldest = (
            outbox.open_events(consumer, outbox.cursor_position(consumer))
            .order_by("id").values_list("created_at", flat=True).first()
        )
        lags.append(ConsumerLag(consumer.name, oldest))
    return lags


@dataclass(frozen=True)
class DiskSpace:
    path: str
    free_bytes: int | None
    total_bytes: int | None
    error: str = ""

    @property
    def free_percent(self) -> float | None:
        if not self.total_bytes or self.free_bytes is None:
            return None
        return round(100 * self.free_bytes / self.total_bytes, 1)


def disk_space(path: Path) -> DiskSpace:
    try:
        usage = shutil.disk_usage(path)
    except OSError as error:
        return DiskSpace(str(path), None, None, f"cannot read the disk: {error.strerror}")
    return DiskSpace(str(path), usage.free, usage.total)


def database_reachable() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return False, f"{type(error).__name__}: {error}"
    return True, connection.vendor
