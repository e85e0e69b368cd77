"""Schedules for tests: a CT scanner in a room, open on weekdays, cut into 30-minute slots."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

from radbridge.clinical.models import Location, Organization
from radbridge.scheduling.models import Schedule, SlotTemplate

_numbers = itertools.count(1)


def make_schedule(
    modality="CT",
    hours=(time(8), time(12)),
    slot_minutes=30,
    weekdays=range(7),
    procedure_codes=(),
    location=None,
) -> Schedule:
    n = next(_numbers)
    site = Organization.objects.create(name=f"Site {n}", kind="site", identifier=f"SCHED-S{n}")
    room = location or Location.objects.create(
        code=f"SCHED-ROOM{n}", name=f"Room {n}", organization=site
    )
    schedule = Schedule.objects.create(
        code=f"{modality.lower()}{n}",
        name=f"{modality} scanner {n}",
        modality=modality,
        location=room,
        site=site,
        procedure_codes=list(procedure_codes),
    )
    for weekday in weekdays:
        SlotTemplate.objects.create(
            schedule=schedule,
            weekday=weekday,
            start_time=hours[0],
            end_time=hours[1],
            slot_minutes=slot_minutes,
        )
    return schedule


def next_weekday(weekday: int, after: date | None = None) -> date:
    """The first date after `after` (default today) falling on `weekday`, at least 2 days on."""
    day = (after or date.today()) + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day
