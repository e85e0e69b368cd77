"""Imaging resources, their weekly slot templates, closures, and the bookings made here.

A Schedule is one bookable resource (a scanner in a room). Slots are not stored: they are
computed from the templates in the centre's time zone (see availability.py). A Booking
holds a slot for one clinical Appointment; the unique (schedule, start) constraint is what
makes two concurrent bookings of one slot impossible.
"""

from django.db import models

from radbridge.clinical.models import Appointment, Location, Organization
from radbridge.core.models import TimeStampedModel


class Schedule(TimeStampedModel):
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    modality = models.CharField(max_length=16)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="schedules")
    site = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="schedules"
    )
    # Procedure codes this resource performs; empty means any procedure of its modality.
    procedure_codes = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.modality})"

    @property
    def service_codes(self) -> list[str]:
        """What the schedule performs: its procedure codes, or its modality when none are listed."""
        return self.procedure_codes or [self.modality]

    def serves(self, procedure_code: str) -> bool:
        return not self.procedure_codes or procedure_code in self.procedure_codes


class SlotTemplate(models.Model):
    """Opening hours of a schedule on one weekday, cut into slots of `slot_minutes`."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="templates")
    weekday = models.PositiveSmallIntegerField()  # 0 = Monday, as datetime.weekday()
    start_time = models.TimeField()  # local wall-clock time of the centre
    end_time = models.TimeField()
    slot_minutes = models.PositiveIntegerField()
    # One patient per slot: the booking constraint on (schedule, start) relies on it.
    capacity = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["schedule", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="template_weekday"),
            models.CheckConstraint(condition=models.Q(capacity=1), name="template_capacity_one"),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="template_order"
            ),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=1), name="template_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} day {self.weekday} {self.start_time}-{self.end_time}"


class Closure(models.Model):
    """Days a schedule (or, with no schedule, the whole centre) takes no bookings."""

    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    start_date = models.DateField()
    end_date = models.DateField()  # inclusive
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="closure_order"
            )
        ]

    def __str__(self) -> str:
        return f"closed {self.start_date}..{self.end_date}: {self.reason}"


class Booking(models.Model):
    """A slot held for an appointment booked in RadBridge; deleted when it is cancelled."""

    restricted_via = ("appointment",)
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="booking"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        permissions = [("book_slot", "Can book an appointment slot")]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "starts_at"], name="one_booking_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} {self.starts_at:%Y-%m-%d %H:%M}"
