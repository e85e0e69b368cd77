"""What a person booking is offered: the services schedules perform, the orders awaiting a
slot, and the week of free slots for one of them. Read-only; the portal and others show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef

from radbridge.clinical.choices import AppointmentStatus, OrderStatus
from radbridge.clinical.models import Appointment, Order

from .availability import Slot, centre_zone, slots
from .models import Schedule


@dataclass(frozen=True)
class Service:
    code: str
    label: str


def services() -> list[Service]:
    """Procedures some active schedule performs (a schedule with no list: its modality)."""
    codes: set[str] = set()
    for schedule in Schedule.objects.filter(active=True):
        codes.update(schedule.service_codes)
    labels = dict(
        Order.objects.filter(procedure_code__in=codes)
        .exclude(procedure_text="")
        .values_list("procedure_code", "procedure_text")
        .distinct()
    )
    return sorted((Service(code, labels.get(code, code)) for code in codes), key=lambda s: s.label)


def awaiting_booking(orders):
    """Orders (from a restricted queryset) still to be scheduled: no booked appointment."""
    booked = Appointment.objects.filter(order=OuterRef("pk"), status=AppointmentStatus.BOOKED)
    return orders.filter(status=OrderStatus.SCHEDULED).exclude(Exists(booked))


def schedules_for(code: str, modality: str = "") -> list[Schedule]:
    """Active schedules for an order (its modality, its code if listed) or a service code."""
    found = []
    for schedule in Schedule.objects.filter(active=True).select_related("location"):
        if modality:
            fits = schedule.modality == modality and (not code or schedule.serves(code))
        else:
            fits = code in schedule.service_codes
        if fits:
            found.append(schedule)
    return found


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def free_week(schedules: list[Schedule], monday: date, ignore_appointment_id=None):
    """[(day, [free slots that day, in time order])] for the seven days from `monday`."""
    sunday = monday + timedelta(days=6)
    by_day: dict[date, list[Slot]] = {monday + timedelta(days=n): [] for n in range(7)}
    for schedule in schedules:
        for slot in slots(schedule, monday, sunday, ignore_appointment_id):
            if slot.free:
                by_day[slot.start.astimezone(centre_zone()).date()].append(slot)
    return [(day, sorted(found, key=lambda s: s.start)) for day, found in by_day.items()]
