"""Which slots a schedule offers, and which of them are free, in the centre's time zone.

Slots are cut from each template at local wall-clock times (RADBRIDGE_TIME_ZONE), so an
08:00 slot stays at 08:00 across daylight-saving changes; a local time that does not exist
on a spring-forward day is skipped, and a repeated one (autumn) is offered once, at its
first occurrence. A slot is taken when a booking holds it or when an appointment from any
source (the RIS's SIU included) occupies the schedule's room at that time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from radbridge.clinical.choices import AppointmentStatus
from radbridge.clinical.models import Appointment

from .models import Booking, Closure, Schedule, SlotTemplate

# An appointment from the RIS without a duration is taken to last this long.
DEFAULT_APPOINTMENT_MINUTES = 30
LONGEST_APPOINTMENT = timedelta(hours=24)


@dataclass(frozen=True)
class Slot:
    schedule: Schedule
    start: datetime
    end: datetime
    free: bool

    @property
    def key(self) -> str:
        """A stable identifier of the slot (FHIR Slot.id, portal form value)."""
        return slot_key(self.schedule.pk, self.start)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def slot_key(schedule_id: int, start: datetime) -> str:
    return f"{schedule_id}-{start.astimezone(UTC):%Y%m%d%H%M}"


def centre_zone():
    return timezone.get_default_timezone()


def local_instant(day: date, wall_time) -> datetime | None:
    """The aware instant of a local wall-clock time, or None when the time does not exist."""
    zone = centre_zone()
    naive = datetime.combine(day, wall_time)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return None  # skipped by a spring-forward change
    return aware


def template_slots(template: SlotTemplate, day: date) -> Iterable[tuple[datetime, datetime]]:
    step = timedelta(minutes=template.slot_minutes)
    wall = datetime.combine(day, template.start_time)
    closing = datetime.combine(day, template.end_time)
    while wall + step <= closing:
        start, end = local_instant(day, wall.time()), local_instant(day, (wall + step).time())
        if start is not None and end is not None and end > start:
            yield start, end
        wall += step


def closed_days(schedule: Schedule, first: date, last: date) -> set[date]:
    days = set()
    closures = Closure.objects.filter(
        Q(schedule__isnull=True) | Q(schedule=schedule), start_date__lte=last, end_date__gte=first
    )
    for closure in closures:
        day = max(closure.start_date, first)
        while day <= min(closure.end_date, last):
            days.add(day)
            day += timedelta(days=1)
    return days


def occupied_intervals(
    schedule: Schedule, start: datetime, end: datetime, ignore_appointment_id: int | None = None
) -> list[tuple[datetime, datetime]]:
    """Time the schedule's room is in use between start and end: bookings and appointments."""
    busy = [
        (b.starts_at, b.ends_at)
        for b in Booking.objects.filter(schedule=schedule, starts_at__lt=end, ends_at__gt=start)
        .exclude(appointment_id=ignore_appointment_id)
    ]
    appointments = (
        Appointment.objects.filter(
            location_id=schedule.location_id,
            status=AppointmentStatus.BOOKED,
            starts_at__lt=end,
            starts_at__gt=start - LONGEST_APPOINTMENT,
        )
        .exclude(pk=ignore_appointment_id)
        .values_list("starts_at", "duration_minutes")
    )
    for begins, minutes in appointments:
        busy.append((begins, begins + timedelta(minutes=minutes or DEFAULT_APPOINTMENT_MINUTES)))
    return busy


def slots(
    schedule: Schedule,
    first: date,
    last: date,
    ignore_appointment_id: int | None = None,
) -> list[Slot]:
    """Every slot of the schedule on local days first..last (inclusive), in time order."""
    if not schedule.active or last < first:
        return []
    closed = closed_days(schedule, first, last)
    templates = list(schedule.templates.all())
    candidates = []
    day = first
    while day <= last:
        if day not in closed:
            for template in templates:
                if template.weekday == day.weekday():
                    candidates.extend(template_slots(template, day))
        day += timedelta(days=1)
    if not candidates:
        return []
    candidates.sort()
    busy = occupied_intervals(
        schedule, candidates[0][0], candidates[-1][1], ignore_appointment_id
    )
    now = timezone.now()
    return [
        Slot(
            schedule,
            start,
            end,
            free=start > now and not any(b < end and e > start for b, e in busy),
        )
        for start, end in candidates
    ]


def slot_at(schedule: Schedule, start: datetime, ignore_appointment_id: int | None = None):
    """The schedule's slot starting at this instant, or None when no template offers one."""
    day = start.astimezone(centre_zone()).date()
    for slot in slots(schedule, day, day, ignore_appointment_id):
        if slot.start == start:
            return slot
    return None


def parse_slot_key(key: str) -> tuple[int, datetime]:
    """(schedule id, start) of a Slot.key; ValueError when it is not one."""
    schedule_id, _, stamp = key.partition("-")
    start = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)
    return int(schedule_id), start
