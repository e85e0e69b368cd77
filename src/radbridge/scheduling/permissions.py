"""For whom a user may book: `scheduling.book_slot` (the role table) says whether at all;
the clinical rules (core's restrict()) say for whom.

Patients book for themselves and those they are proxy for; physicians for patients they may
order for (whose orders or consented records they see); centre staff for patients at their
sites. Appointments one may change are those of the patients one may book for.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from radbridge.clinical.models import Appointment, Order, Patient

BOOK_SLOT = "scheduling.book_slot"


def may_book(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(BOOK_SLOT))


def bookable_patients(user) -> QuerySet:
    if not may_book(user):
        return Patient.objects.none()
    return Patient.objects.filter(
        Q(pk__in=Patient.objects.restrict(user, "view").values("pk"))
        | Q(pk__in=Patient.objects.restrict(user, "change").values("pk"))
        | Q(pk__in=Order.objects.restrict(user, "view").values("patient"))
    )


def bookable_orders(user) -> QuerySet:
    """Orders the user may book an appointment for."""
    return Order.objects.restrict(user, "view").filter(patient__in=bookable_patients(user))


def changeable_appointments(user) -> QuerySet:
    """Appointments booked here that the user may reschedule or cancel."""
    return Appointment.objects.filter(
        booking__isnull=False, patient__in=bookable_patients(user)
    )
