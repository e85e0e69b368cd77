"""Appointment reminders: at each configured lead time, once, and again for a new time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from radbridge.clinical.models import Appointment
from radbridge.notify.choices import MessageKind
from radbridge.notify.models import Delivery
from radbridge.notify.reminders import plan_reminders

from .conftest import make_patient

pytestmark = pytest.mark.django_db


def reminders():
    return Delivery.objects.filter(kind=MessageKind.APPOINTMENT_REMINDER, channel="sms")


def test_reminders_go_at_48_and_2_hours_once_each(actor):
    now = timezone.now()
    Appointment.objects.create(external_id="S1", patient=make_patient(),
                               starts_at=now + timedelta(hours=60))
    assert plan_reminders(now) == 0  # too early
    plan_reminders(now + timedelta(hours=13))  # 47 h before
    plan_reminders(now + timedelta(hours=14))
    assert reminders().count() == 1
    plan_reminders(now + timedelta(hours=58, minutes=30))  # 1.5 h before
    plan_reminders(now + timedelta(hours=59))
    assert reminders().count() == 2
    assert [r.source.split(":")[2] for r in reminders().order_by("id")] == ["48h", "2h"]


def test_moved_appointment_is_reminded_of_its_new_time(actor):
    now = timezone.now()
    appointment = Appointment.objects.create(external_id="S2", patient=make_patient(),
                                             starts_at=now + timedelta(hours=1))
    plan_reminders(now)
    appointment.starts_at = now + timedelta(hours=1, minutes=30)
    appointment.save()
    plan_reminders(now)
    assert reminders().count() == 2


def test_cancelled_appointments_get_no_reminder(actor):
    Appointment.objects.create(external_id="S3", patient=make_patient(), status="cancelled",
                               starts_at=timezone.now() + timedelta(hours=1))
    assert plan_reminders() == 0 and not reminders().exists()


def test_lead_times_come_from_the_settings(actor, settings):
    settings.NOTIFY_REMINDER_HOURS = [24.0]
    now = timezone.now()
    Appointment.objects.create(external_id="S4", patient=make_patient(),
                               starts_at=now + timedelta(hours=30))
    assert plan_reminders(now) == 0
    plan_reminders(now + timedelta(hours=7))
    assert reminders().get().source.split(":")[2] == "24h"
