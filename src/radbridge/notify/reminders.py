"""Appointment reminders at the configured lead times (48 h and 2 h before, by default).

The `notify-reminders` job looks at booked appointments starting within the longest lead
time and plans, for each, the reminder of the nearest lead time it has entered. A reminder's
source names the appointment, the lead time and the start time, so each goes out once, and
a moved appointment gets reminders for its new time. An appointment booked 30 hours ahead
gets the 48 h reminder at once and the 2 h one later; one booked an hour ahead, only the 2 h.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from radbridge.clinical.choices import AppointmentStatus
from radbridge.clinical.models import Appointment

from .models import Delivery
from .planner import Occasion, plan


def lead_time_for(remaining: timedelta, leads_hours: list[float]) -> float | None:
    """The smallest lead time that `remaining` is inside of: the reminder due now."""
    inside = [hours for hours in leads_hours if remaining <= timedelta(hours=hours)]
    return min(inside) if inside else None


def reminder_source(appointment: Appointment, hours: float) -> str:
    return f"reminder:{appointment.id}:{hours:g}h:{appointment.starts_at:%Y%m%dT%H%M%z}"


def plan_reminders(now: datetime | None = None) -> int:
    now = now or timezone.now()
    leads = settings.NOTIFY_REMINDER_HOURS
    if not leads:
        return 0
    upcoming = (
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=max(leads)),
        )
        .select_related("patient", "location__organization", "order__location__organization")
        .order_by("starts_at")
    )
    due = {}
    for appointment in upcoming:
        hours = lead_time_for(appointment.starts_at - now, leads)
        if hours is not None:
            due[reminder_source(appointment, hours)] = appointment
    done = set(
        Delivery.objects.filter(source__in=list(due)).values_list("source", flat=True).distinct()
    )
    planned = 0
    for source, appointment in due.items():
        if source in done:
            continue
        occasion = Occasion(
            source=source,
            topic="appointment.reminder",
            payload={"patient_id": appointment.patient_id,
                     "starts_at": appointment.starts_at.isoformat(),
                     "expires_at": appointment.starts_at.isoformat()},
            order=appointment.order,
            appointment=appointment,
        )
        planned += plan(occasion, now)
    return planned
