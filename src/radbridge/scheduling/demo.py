"""Schedules for the demo centre: a CT and an MR scanner, open on weekdays.

`seed_schedules()` is for the demo command to call (it is idempotent); it uses the same
operator verbs as `radbridge schedule`, so the demo shows what an operator would set up.
"""

from __future__ import annotations

from datetime import time

from radbridge.core.audit import Actor, acting_as

from .models import Schedule
from .setup import add_schedule, add_templates

DEMO_SCHEDULES = (
    # code, name, modality, room code, room name, procedure codes, slot minutes
    ("ct1", "CT scanner 1", "CT", "CT1", "CT room 1", [], 20),
    ("mr1", "MR scanner 1", "MR", "MR1", "MR room 1", [], 40),
)


def seed_schedules(site_identifier: str = "") -> list[Schedule]:
    """Create the demo schedules unless they exist; weekdays 08:00-12:00 and 13:00-17:00."""
    made = []
    with acting_as(Actor(name="demo", role="operator")):
        for code, name, modality, room, room_name, procedures, minutes in DEMO_SCHEDULES:
            schedule = Schedule.objects.filter(code=code).first()
            if schedule is None:
                schedule = add_schedule(
                    code, name, modality, room, room_name, site_identifier, procedures
                )
                for start, end in ((time(8), time(12)), (time(13), time(17))):
                    add_templates(schedule, list(range(5)), start, end, minutes)
            made.append(schedule)
    return made
