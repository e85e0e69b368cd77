"""Slots come from templates in local time, minus closures, bookings and RIS appointments."""

from datetime import UTC, date, time, timedelta

import pytest

from radbridge.clinical import services as clinical
from radbridge.clinical.data import AppointmentData, IdentifierData, PatientData
from radbridge.scheduling.availability import local_instant, slots
from radbridge.scheduling.models import Closure

from .helpers import make_schedule, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def paris(settings):
    settings.TIME_ZONE = "Europe/Paris"


def test_slots_are_cut_from_the_template_at_local_times(paris):
    schedule = make_schedule(hours=(time(8), time(10)), slot_minutes=30)
    day = date(2030, 1, 7)
    starts = [slot.start.astimezone(UTC).strftime("%H:%M") for slot in slots(schedule, day, day)]
    assert starts == ["07:00", "07:30", "08:00", "08:30"]  # Paris is UTC+1 in winter


def test_spring_forward_day_keeps_wall_clock_times_and_skips_the_missing_hour(paris):
    schedule = make_schedule(hours=(time(1), time(4)), slot_minutes=60)
    before, change = date(2030, 3, 30), date(2030, 3, 31)  # clocks go 02:00 -> 03:00
    local = [
        slot.start.astimezone(local_instant(change, time(0)).tzinfo).strftime("%H:%M")
        for slot in slots(schedule, change, change)
    ]
    assert local == ["03:00"]  # 01:00-02:00 would end in the gap; 02:00 does not exist
    morning = make_schedule(hours=(time(8), time(9)), slot_minutes=60)
    assert [s.start.astimezone(UTC).hour for s in slots(morning, before, change)] == [7, 6]


def test_autumn_change_offers_the_repeated_hour_once(paris):
    schedule = make_schedule(hours=(time(1), time(4)), slot_minutes=60)
    change = date(2030, 10, 27)  # clocks go 03:00 -> 02:00
    found = slots(schedule, change, change)
    assert len(found) == 3
    assert len({slot.start for slot in found}) == 3
    assert all(slot.end > slot.start for slot in found)


def test_closures_remove_whole_days(actor):
    schedule = make_schedule()
    other = make_schedule()
    day = date(2030, 1, 7)
    Closure.objects.create(schedule=schedule, start_date=day, end_date=day, reason="maintenance")
    Closure.objects.create(
        start_date=day + timedelta(days=1), end_date=day + timedelta(days=1), reason="holiday"
    )
    assert slots(schedule, day, day) == []
    assert slots(other, day, day) != []
    assert slots(other, day + timedelta(days=1), day + timedelta(days=1)) == []


def test_past_slots_are_not_free():
    schedule = make_schedule()
    yesterday = date.today() - timedelta(days=1)
    assert not any(slot.free for slot in slots(schedule, yesterday, yesterday))


def test_inactive_schedule_offers_nothing():
    schedule = make_schedule()
    schedule.active = False
    schedule.save()
    assert slots(schedule, date(2030, 1, 7), date(2030, 1, 7)) == []


def test_appointment_from_the_ris_makes_its_slots_unavailable(actor):
    schedule = make_schedule(hours=(time(8), time(10)))
    day = next_weekday(0)
    start = local_instant(day, time(8, 30))
    clinical.book_appointment(
        AppointmentData(
            external_id="RIS-77",
            patient=PatientData([IdentifierData("MRN77", "MERCY", "MR")], "Ris", "Ann"),
            status="booked",
            starts_at=start,
            duration_minutes=45,
            location_code=schedule.location.code,
        )
    )
    free = [slot.start for slot in slots(schedule, day, day) if slot.free]
    assert free == [local_instant(day, time(8)), local_instant(day, time(9, 30))]


def test_siu_from_the_ris_over_the_real_ingest_takes_the_slot():
    from tests.fhir.conftest import ingest
    from tests.hl7.helpers import message, msh, pid, segment

    schedule = make_schedule(hours=(time(8), time(10)))
    day = next_weekday(2)
    start = local_instant(day, time(9))
    ingest(
        message(
            msh("SIU^S12^SIU_S12", "SIU1"),
            segment("SCH", {1: "P1", 2: "F1", 9: "30", 10: "MIN",
                            11: f"^^^{start:%Y%m%d%H%M%S%z}"}),
            pid(),
            segment("RGS", {1: "1"}),
            segment("AIL", {1: "1", 3: schedule.location.code}),
        )
    )
    taken = [slot.start for slot in slots(schedule, day, day) if not slot.free]
    assert taken == [start]
