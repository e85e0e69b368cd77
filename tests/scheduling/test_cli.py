"""`radbridge schedule`: set a centre's schedules up from the shell, with clear errors."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from radbridge.scheduling.models import Closure, Schedule

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("schedule", *args, stdout=out)
    return out.getvalue()


def test_an_operator_sets_up_a_scanner_and_sees_its_slots():
    run("add", "ct1", "--modality", "ct", "--room", "CT-A", "--procedures", "CTHEAD,CTCHEST")
    run("template", "ct1", "--days", "mon-fri", "--start", "08:00", "--end", "09:00",
        "--slot-minutes", "20")
    run("close", "ct1", "--from", "2030-01-08", "--reason", "maintenance")
    run("close", "--all", "--from", "2030-01-01", "--reason", "New Year")
    schedule = Schedule.objects.get(code="ct1")
    assert schedule.modality == "CT" and schedule.procedure_codes == ["CTCHEST", "CTHEAD"]
    assert schedule.templates.count() == 5 and Closure.objects.count() == 2
    shown = run("slots", "ct1", "--from", "2030-01-07", "--days", "2").splitlines()
    assert shown == [
        "Mon 2030-01-07 08:00-08:20  free",
        "Mon 2030-01-07 08:20-08:40  free",
        "Mon 2030-01-07 08:40-09:00  free",
    ]
    listing = run("list")
    assert "ct1" in listing and "mon 08:00-09:00 every 20 min" in listing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("template", "nope", "--days", "mon", "--start", "08:00", "--end", "09:00",
          "--slot-minutes", "30"), "no schedule 'nope'"),
        (("template", "ct1", "--days", "mon-fry", "--start", "08:00", "--end", "09:00",
          "--slot-minutes", "30"), "unknown weekday"),
        (("template", "ct1", "--days", "mon", "--start", "9", "--end", "08:00",
          "--slot-minutes", "30"), "not a time"),
        (("template", "ct1", "--days", "mon", "--start", "09:00", "--end", "08:00",
          "--slot-minutes", "30"), "end time must come after"),
        (("template", "ct1", "--days", "mon", "--start", "08:00", "--end", "09:00",
          "--slot-minutes", "2"), "5 to 1440 minutes"),
        (("close", "ct1", "--from", "2030-02-30", "--reason", "x"), "not a date"),
        (("close", "ct1", "--from", "2030-02-03", "--to", "2030-02-01", "--reason", "x"),
         "ends before it starts"),
        (("add", "ct1", "--modality", "CT", "--room", "X"), "exists already"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args, message):
    run("add", "ct1", "--modality", "CT", "--room", "CT-A")
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Schedule.objects.count() == 1


def test_demo_schedules_are_seeded_once():
    from radbridge.scheduling.demo import seed_schedules

    seed_schedules()
    seed_schedules()
    assert sorted(Schedule.objects.values_list("code", flat=True)) == ["ct1", "mr1"]
    assert Schedule.objects.get(code="ct1").templates.count() == 10


def test_closing_a_day_lists_the_bookings_to_move(actor):
    from datetime import time

    from radbridge.scheduling.availability import local_instant
    from radbridge.scheduling.services import book_slot
    from tests.personas import make_patient

    from .helpers import next_weekday

    run("add", "ct1", "--modality", "CT", "--room", "CT-A")
    run("template", "ct1", "--days", "mon-sun", "--start", "08:00", "--end", "09:00",
        "--slot-minutes", "30")
    day = next_weekday(0)
    appointment = book_slot(
        Schedule.objects.get(code="ct1"), local_instant(day, time(8, 30)), make_patient()
    )
    shown = run("close", "ct1", "--from", day.isoformat(), "--reason", "maintenance")
    assert f"to move: ct1 {day.isoformat()} 08:30 appointment {appointment.external_id}" in shown
