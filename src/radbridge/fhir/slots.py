"""Slot search and read: slots are computed from the scheduling app's templates, not stored,
so they are searched here over a bounded window rather than through a queryset.

`start` (with prefixes ge, gt, le, lt, eq, sa, eb) bounds the window, by default today to 14
days on and never more than 92 days; `schedule`, `status` (free|busy), `service-type` narrow
it; `_count`/`_offset` page it. Slots say free or busy, never who booked them, so any signed
in caller with a Slot read scope may search them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from radbridge.scheduling.availability import Slot, centre_zone, parse_slot_key, slot_at, slots
from radbridge.scheduling.models import Schedule

from .outcomes import bad_parameter, not_found
from .queries import DEFAULT_COUNT, MAX_COUNT, Page, whole_number
from .search import PREFIXES, alternatives, date_range, reference_id, split_token

DEFAULT_DAYS, MAX_DAYS = 14, 92
PARAMS = {
    "schedule": ("reference", "Schedule/<id>; any active schedule when left out"),
    "start": ("date", "prefixes ge, gt, sa, le, lt, eb, eq; default: the next 14 days"),
    "status": ("token", "free or busy"),
    "service-type": ("token", "a procedure code the schedule performs (or its modality)"),
}
STATUSES = ("free", "busy")
CONTROL = ("_count", "_offset", "_format", "_pretty", "_total", "_totalMethod")


def capability() -> dict:
    return {
        "type": "Slot",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {"name": name, "type": kind, "documentation": text}
            for name, (kind, text) in sorted(PARAMS.items())
        ],
    }


def window(values: list[str]) -> tuple[datetime, datetime]:
    """The [low, high) instants the `start` values allow, never before now."""
    low = timezone.now()
    high = None
    for value in values:
        prefix = value[:2] if value[:2] in PREFIXES else "eq"
        if prefix == "ne":
            raise bad_parameter("start", "the prefix ne is not supported for Slot.start")
        start, end = date_range("start", value[2:] if value[:2] in PREFIXES else value)
        after = {"ge": start, "gt": end, "sa": end, "eq": start}.get(prefix)
        before = {"le": end, "lt": start, "eb": start, "eq": end}.get(prefix)
        if after is not None:
            low = max(low, after)
        if before is not None:
            high = before if high is None else min(high, before)
    high = high or low + timedelta(days=DEFAULT_DAYS)
    if high - low > timedelta(days=MAX_DAYS):
        raise bad_parameter("start", f"search at most {MAX_DAYS} days of slots at once")
    return low, high


def chosen_schedules(values: list[str]):
    schedules = Schedule.objects.filter(active=True).select_related("location")
    for value in values:
        parts = alternatives("schedule", value)
        ids = [reference_id("schedule", part, "Schedule") for part in parts]
        schedules = schedules.filter(pk__in=ids)
    return list(schedules)


def matches(slot: Slot, statuses: list[set[str]], services: list[set[str]]) -> bool:
    state = "free" if slot.free else "busy"
    codes = set(slot.schedule.service_codes)
    return all(state in wanted for wanted in statuses) and all(
        codes & wanted for wanted in services
    )


def parse_query(pairs: list[tuple[str, str]]) -> tuple[dict[str, list[str]], dict]:
    control: dict[str, list[str]] = {}
    filters: dict[str, list[str]] = {name: [] for name in PARAMS}
    for name, value in pairs:
        if name in CONTROL:
            control.setdefault(name, []).append(value)
        elif name in filters:
            filters[name].append(value)
        else:
            known = ", ".join(sorted(PARAMS))
            raise bad_parameter(name, f"Slot has no such search parameter (supported: {known})")
    return control, filters


def search(user, pairs: list[tuple[str, str]]) -> Page:
    control, filters = parse_query(pairs)
    count = whole_number("_count", (control.get("_count") or [str(DEFAULT_COUNT)])[0], MAX_COUNT)
    offset = whole_number("_offset", (control.get("_offset") or ["0"])[0], 10**9)
    statuses = []
    for value in filters["status"]:
        wanted = set(alternatives("status", value))
        if wanted - set(STATUSES):
            raise bad_parameter("status", f"Slot status is free or busy here, not {value!r}")
        statuses.append(wanted)
    services = [
        {split_token(part)[1] for part in alternatives("service-type", value)}
        for value in filters["service-type"]
    ]
    low, high = window(filters["start"])
    if high <= low:
        return Page([], offset=offset, count=count, total=0)
    zone = centre_zone()
    found = []
    for schedule in chosen_schedules(filters["schedule"]):
        for slot in slots(schedule, low.astimezone(zone).date(), high.astimezone(zone).date()):
            if low <= slot.start < high and matches(slot, statuses, services):
                found.append(slot)
    found.sort(key=lambda slot: (slot.start, slot.schedule.pk))
    rows = found[offset : offset + count]
    has_next = len(found) > offset + count
    return Page(rows, offset=offset, count=count, has_next=has_next, total=len(found))


def read(user, resource_id: str) -> Slot:
    try:
        schedule_id, start = parse_slot_key(resource_id)
    except ValueError:
        raise not_found("Slot", resource_id) from None
    schedule = Schedule.objects.filter(pk=schedule_id, active=True).first()
    slot = slot_at(schedule, start) if schedule else None
    if slot is None:
        raise not_found("Slot", resource_id)
    return slot
