"""Setting a centre's schedules up: resources, weekly templates, closures (operator verbs).

Each verb validates its input with a message saying what to fix, writes in one transaction
and leaves an audit entry. Used by `radbridge schedule` and the demo.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction

from radbridge.clinical.models import Location, Organization
from radbridge.core import audit

from .availability import centre_zone
from .errors import SchedulingError
from .models import Booking, Closure, Schedule, SlotTemplate

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> list[int]:
    """'mon-fri' or 'mon,wed,sat' -> [0, 1, 2, 3, 4] / [0, 2, 5]."""
    days: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise SchedulingError(
                f"unknown weekday {part!r}: write mon..sun, a range (mon-fri) or a list "
                "(mon,wed)",
                field="weekdays",
            )
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise SchedulingError(f"weekday range {part!r} runs backwards", field="weekdays")
        days.extend(range(start, end + 1))
    return sorted(set(days))


def get_schedule(code: str) -> Schedule:
    schedule = Schedule.objects.filter(code=code).first()
    if schedule is None:
        known = ", ".join(Schedule.objects.values_list("code", flat=True)) or "none yet"
        raise SchedulingError(f"no schedule {code!r} (known: {known})", field="schedule")
    return schedule


@transaction.atomic
def add_schedule(
    code: str,
    name: str,
    modality: str,
    room_code: str,
    room_name: str = "",
    site_identifier: str = "",
    procedure_codes: list[str] | None = None,
) -> Schedule:
    if Schedule.objects.filter(code=code).exists():
        raise SchedulingError(f"schedule {code!r} exists already", field="code")
    if not modality or len(modality) > 16:
        raise SchedulingError("the modality is a DICOM code such as CT, MR, US", field="modality")
    site = None
    if site_identifier:
        site = Organization.objects.filter(identifier=site_identifier).first()
        if site is None:
            raise SchedulingError(f"no site with identifier {site_identifier!r}", field="site")
    room, _ = Location.objects.get_or_create(
        code=room_code, defaults={"name": room_name, "organization": site}
    )
    schedule = Schedule.objects.create(
        code=code,
        name=name or code,
        modality=modality.upper(),
        location=room,
        site=site or room.organization,
        procedure_codes=sorted(set(procedure_codes or [])),
    )
    audit.record("schedule.created", "schedule", schedule.pk, code=code, room=room.code)
    return schedule


@transaction.atomic
def add_templates(
    schedule: Schedule, weekdays: list[int], start: time, end: time, slot_minutes: int
) -> list[SlotTemplate]:
    if end <= start:
        raise SchedulingError("the end time must come after the start time", field="end")
    if not 5 <= slot_minutes <= 24 * 60:
        raise SchedulingError("a slot lasts 5 to 1440 minutes", field="slot_minutes")
    overlapping = schedule.templates.filter(
        weekday__in=weekdays, start_time__lt=end, end_time__gt=start
    ).first()
    if overlapping is not None:
        raise SchedulingError(f"overlaps the existing template {overlapping}", field="start")
    templates = [
        SlotTemplate.objects.create(
            schedule=schedule, weekday=day, start_time=start, end_time=end,
            slot_minutes=slot_minutes,
        )
        for day in weekdays
    ]
    audit.record(
        "schedule.template_added", "schedule", schedule.pk, weekdays=weekdays,
        start=start.isoformat(), end=end.isoformat(), slot_minutes=slot_minutes,
    )
    return templates


@transaction.atomic
def add_closure(schedule: Schedule | None, first: date, last: date, reason: str) -> Closure:
    """Close a schedule (or, with None, the whole centre) from `first` to `last` inclusive.

    Existing bookings are kept: the front desk moves them (see `radbridge schedule list`).
    """
    if last < first:
        raise SchedulingError("the closure ends before it starts", field="end")
    if not reason.strip():
        raise SchedulingError("say why (holiday, maintenance, ...)", field="reason")
    closure = Closure.objects.create(
        schedule=schedule, start_date=first, end_date=last, reason=reason.strip()
    )
    audit.record(
        "schedule.closed", "schedule", schedule.pk if schedule else "",
        start=first.isoformat(), end=last.isoformat(), reason=closure.reason,
    )
    return closure


def bookings_during(closure: Closure) -> list[Booking]:
    """Bookings made before the closure that fall inside it: the front desk must move them."""
    zone = centre_zone()
    start = datetime.combine(closure.start_date, time(0), tzinfo=zone)
    end = datetime.combine(closure.end_date + timedelta(days=1), time(0), tzinfo=zone)
    bookings = Booking.objects.filter(starts_at__gte=start, starts_at__lt=end)
    if closure.schedule_id:
        bookings = bookings.filter(schedule_id=closure.schedule_id)
    return list(bookings.select_related("schedule", "appointment__patient").order_by("starts_at"))
