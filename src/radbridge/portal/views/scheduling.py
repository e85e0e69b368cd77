"""Self-scheduling for patients: choose the exam (an order awaiting a slot, or a procedure),
pick a free slot by week (HTMX swaps the week), confirm, see the confirmation; "My
appointments" lists them with reschedule and cancel.

Every choice arrives as a query value and is looked up again through the scheduling app's
permission querysets (`bookable_orders`, `changeable_appointments`), so an id of someone
else's order or appointment is a 404. The verbs are the scheduling app's (`book_slot`,
`reschedule`, `cancel_booking`): a slot taken meanwhile sends the person back to the week
with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from radbridge.accounts.choices import Role
from radbridge.accounts.permissions import profile_of
from radbridge.clinical.choices import AppointmentStatus
from radbridge.clinical.models import Appointment
from radbridge.core import audit
from radbridge.scheduling.availability import centre_zone, parse_slot_key, slot_at
from radbridge.scheduling.errors import SchedulingError
from radbridge.scheduling.offer import (
    awaiting_booking,
    free_week,
    schedules_for,
    services,
    week_of,
)
from radbridge.scheduling.permissions import (
    bookable_orders,
    bookable_patients,
    changeable_appointments,
)
from radbridge.scheduling.services import book_slot, cancel_booking, reschedule

from .. import navigation
from ..phi import reads_phi
from .util import roles_only

WEEKS_AHEAD = 26

navigation.add("Book an exam", "portal:book", {Role.PATIENT}, order=12)
navigation.add("My appointments", "portal:my_appointments", {Role.PATIENT}, order=14)


@dataclass
class Choice:
    """What is being booked: an order, a procedure, or an appointment being moved."""

    label: str
    query: dict
    schedules: list = field(default_factory=list)
    order: object = None
    code: str = ""
    moving: Appointment | None = None

    @property
    def patient_id(self):
        if self.moving is not None:
            return self.moving.patient_id
        return self.order.patient_id if self.order is not None else None


def choice_of(request, values) -> Choice:
    """The order, service or appointment named in `values`, as this user may book it; 404
    for an id they may not see, so its existence stays hidden."""
    user = request.user
    if values.get("reschedule", "").isdigit():
        moving = (
            changeable_appointments(user)
            .select_related("booking__schedule", "order")
            .filter(pk=int(values["reschedule"]), status=AppointmentStatus.BOOKED)
            .first()
        )
        if moving is None:
            raise Http404("no such appointment")
        schedules = schedules_for(moving.service_code, moving.booking.schedule.modality)
        label = moving.service_text or moving.service_code or "your exam"
        return Choice(label, {"reschedule": moving.pk}, schedules, moving.order,
                      moving.service_code, moving)
    if values.get("order", "").isdigit():
        order = bookable_orders(user).filter(pk=int(values["order"])).first()
        if order is None:
            raise Http404("no such order")
        label = order.procedure_text or order.procedure_code or "your exam"
        schedules = schedules_for(order.procedure_code, order.modality)
        return Choice(label, {"order": order.pk}, schedules, order, order.procedure_code)
    offered = {service.code: service for service in services()}
    service = offered.get(values.get("service", ""))
    if service is None:
        raise Http404("no such service")
    return Choice(service.label, {"service": service.code}, schedules_for(service.code),
                  code=service.code)


def audit_choice(choice: Choice) -> None:
    if choice.moving is not None:
        audit.record_reads("appointment", "appointment", [(choice.moving.pk, choice.patient_id)])
    elif choice.order is not None:
        audit.record_reads("booking_order", "order", [(choice.order.pk, choice.patient_id)])


def chosen_week(text: str) -> date:
    this_week = week_of(timezone.now().astimezone(centre_zone()).date())
    try:
        wanted = week_of(date.fromisoformat(text))
    except ValueError:
        return this_week
    return min(max(wanted, this_week), this_week + timedelta(weeks=WEEKS_AHEAD))


def slots_url(choice: Choice, **extra) -> str:
    return f"{reverse('portal:book_slots')}?{urlencode({**choice.query, **extra})}"


@reads_phi
@roles_only(Role.PATIENT)
def book_start(request):
    orders = list(awaiting_booking(bookable_orders(request.user)).order_by("created_at"))
    audit.record_reads("booking_orders", "order", [(o.pk, o.patient_id) for o in orders])
    return render(
        request, "portal/scheduling/start.html", {"orders": orders, "services": services()}
    )


@reads_phi
@roles_only(Role.PATIENT)
def book_slots(request):
    choice = choice_of(request, request.GET)
    audit_choice(choice)
    monday = chosen_week(request.GET.get("week", ""))
    this_week = chosen_week("")
    ignore = choice.moving.pk if choice.moving else None
    context = {
        "choice": choice,
        "days": free_week(choice.schedules, monday, ignore),
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_url": slots_url(choice, week=monday - timedelta(weeks=1))
        if monday > this_week
        else "",
        "next_url": slots_url(choice, week=monday + timedelta(weeks=1))
        if monday < this_week + timedelta(weeks=WEEKS_AHEAD)
        else "",
        "confirm_url": reverse("portal:book_confirm"),
    }
    swaps_week = request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "_week.html" if swaps_week else "slots.html"
    return render(request, f"portal/scheduling/{template}", context)


def chosen_slot(choice: Choice, key: str):
    try:
        schedule_id, start = parse_slot_key(key)
    except ValueError:
        raise Http404("no such slot") from None
    schedule = next((s for s in choice.schedules if s.pk == schedule_id), None)
    if schedule is None:
        raise Http404("no such slot")
    return schedule, slot_at(schedule, start, choice.moving.pk if choice.moving else None)


def patient_for(request, choice: Choice):
    patient_id = choice.patient_id or getattr(profile_of(request.user), "patient_id", None)
    patient = bookable_patients(request.user).filter(pk=patient_id).first()
    if patient is None:
        raise Http404("no patient record to book for")
    return patient


@reads_phi
@roles_only(Role.PATIENT)
def book_confirm(request):
    values = request.POST if request.method == "POST" else request.GET
    choice = choice_of(request, values)
    schedule, slot = chosen_slot(choice, values.get("slot", ""))
    if slot is None or not slot.free:
        messages.error(request, "That time is no longer free. Please choose another.")
        return redirect(slots_url(choice))
    patient = patient_for(request, choice)
    if request.method != "POST":
        audit_choice(choice)
        audit.record_reads("booking_patient", "patient", [(patient.pk, patient.pk)])
        return render(
            request,
            "portal/scheduling/confirm.html",
            {"choice": choice, "slot": slot, "schedule": schedule, "patient": patient,
             "back_url": slots_url(choice, week=slot.start.date())},
        )
    try:
        if choice.moving is not None:
            appointment = reschedule(choice.moving, slot.start, schedule)
        else:
            appointment = book_slot(
                schedule, slot.start, patient, order=choice.order,
                procedure_code="" if choice.order else choice.code,
                procedure_text="" if choice.order else choice.label,
                reason=values.get("reason", "")[:300],
            )
    except SchedulingError as error:
        messages.error(request, f"{error}. Please choose another time.")
        return redirect(slots_url(choice, week=slot.start.date()))
    return redirect("portal:appointment", appointment_id=appointment.pk)


def my_appointment_rows(user):
    return Appointment.objects.restrict(user).select_related("location", "order", "patient")


@reads_phi
@roles_only(Role.PATIENT)
def appointment(request, appointment_id: int):
    found = my_appointment_rows(request.user).filter(pk=appointment_id).first()
    if found is None:
        raise Http404("no such appointment")
    audit.record_reads("appointment", "appointment", [(found.pk, found.patient_id)])
    return render(request, "portal/scheduling/booked.html", {"appointment": found})


@reads_phi
@roles_only(Role.PATIENT)
def my_appointments(request):
    now = timezone.now()
    rows = list(my_appointment_rows(request.user).order_by("-starts_at", "-id"))
    changeable = set(
        changeable_appointments(request.user)
        .filter(status=AppointmentStatus.BOOKED, starts_at__gt=now)
        .values_list("pk", flat=True)
    )
    audit.record_reads("appointment_list", "appointment", [(a.pk, a.patient_id) for a in rows])
    return render(
        request,
        "portal/scheduling/appointments.html",
        {"appointments": rows, "changeable": changeable, "now": now},
    )


@require_POST
@roles_only(Role.PATIENT)
def cancel_appointment(request, appointment_id: int):
    found = changeable_appointments(request.user).filter(pk=appointment_id).first()
    if found is None:
        raise Http404("no such appointment")
    try:
        cancel_booking(found, reason="cancelled by the patient in the portal")
    except SchedulingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your appointment is cancelled. The centre has been told.")
    return redirect("portal:my_appointments")
