"""Schedule and Slot over FHIR, and POST Appointment booking a free slot."""

from datetime import UTC, time, timedelta

import pytest
from django.test import Client
from fhirpy import SyncFHIRClient

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Appointment
from radbridge.scheduling.availability import local_instant
from radbridge.scheduling.models import Booking
from radbridge.scheduling.services import book_slot
from tests.fhir.conftest import Api, patient_token, validate
from tests.personas import make_order, make_patient, make_staff, sign_in
from tests.scheduling.helpers import make_schedule, next_weekday


@pytest.fixture
def ct(db):
    return make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def clerk_api(db, client):
    return Api(sign_in(client, make_staff(Role.FRONT_DESK, all_sites=True, username="desk")))


def day_query(day):
    return [("start", f"ge{day.isoformat()}"), ("start", f"lt{(day + timedelta(1)).isoformat()}")]


def slot_id(schedule, start):
    return f"{schedule.pk}-{start.astimezone(UTC):%Y%m%d%H%M}"


def booking(patient, schedule, start, **extra):
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id(schedule, start)}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"}],
        **extra,
    }


def test_schedules_are_read_and_searched_by_actor_and_service(clerk_api, ct):
    make_schedule(modality="MR")
    status, body, _ = clerk_api.get(f"Schedule/{ct.pk}")
    assert status == 200 and validate(body)["actor"][0]["reference"] == f"Location/{ct.location_id}"
    status, bundle, _ = clerk_api.get("Schedule", {"actor": f"Location/{ct.location_id}"})
    assert [e["resource"]["id"] for e in validate(bundle)["entry"]] == [str(ct.pk)]
    status, bundle, _ = clerk_api.get("Schedule", {"service-type": "CTHEAD"})
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(ct.pk)]
    status, bundle, _ = clerk_api.get("Schedule", {"service-type": "MR"})
    assert len(bundle["entry"]) == 1 and bundle["entry"][0]["resource"]["id"] != str(ct.pk)


def test_slots_are_searched_by_schedule_start_status_and_service(clerk_api, ct, monday):
    query = [("schedule", f"Schedule/{ct.pk}"), *day_query(monday)]
    status, bundle, _ = clerk_api.get("Slot", query)
    assert status == 200
    slots = [e["resource"] for e in validate(bundle)["entry"]]
    assert [s["start"] for s in slots][:2] == [
        local_instant(monday, time(8)).isoformat(),
        local_instant(monday, time(8, 30)).isoformat(),
    ]
    assert len(slots) == 4 and {s["status"] for s in slots} == {"free"}
    status, bundle, _ = clerk_api.get("Slot", [("service-type", "MRBRAIN"), *day_query(monday)])
    assert bundle.get("entry", []) == [] and bundle["total"] == 0
    status, one, _ = clerk_api.get(f"Slot/{slots[0]['id']}")
    assert status == 200 and validate(one)["schedule"]["reference"] == f"Schedule/{ct.pk}"


def test_a_booked_slot_reads_busy_and_a_second_booking_is_409(clerk_api, ct, monday):
    patient, start = make_patient(), local_instant(monday, time(9))
    body = booking(patient, ct, start, serviceType=[{"coding": [{"code": "CTHEAD"}]}])
    status, appointment, response = clerk_api.post("Appointment", body)
    assert status == 201, appointment
    validate(appointment)
    assert appointment["start"] == start.isoformat() and appointment["status"] == "booked"
    assert appointment["slot"] == [{"reference": f"Slot/{slot_id(ct, start)}"}]
    assert response["Location"].endswith(f"/Appointment/{appointment['id']}")
    status, bundle, _ = clerk_api.get("Slot", [("status", "busy"), *day_query(monday)])
    assert [e["resource"]["start"] for e in bundle["entry"]] == [start.isoformat()]
    status, outcome, _ = clerk_api.post("Appointment", booking(make_patient(), ct, start))
    assert status == 409 and "slot taken" in outcome["issue"][0]["diagnostics"]
    assert outcome["issue"][0]["expression"] == ["Appointment.slot"]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ({"status": "fulfilled"}, "Appointment.status"),
        ({"slot": []}, "Appointment.slot"),
        ({"slot": [{"reference": "Slot/garbage"}]}, "Appointment.slot"),
        ({"slot": [{"reference": "Slot/999999-203001070800"}]}, "Appointment.slot"),
        ({"participant": []}, "Appointment.participant"),
        ({"basedOn": [{"reference": "ServiceRequest/999999"}]}, "Appointment.basedOn"),
        ({"serviceType": [{"coding": [{"code": "MRBRAIN"}]}]}, "Appointment.serviceType"),
    ],
)
def test_invalid_bookings_are_422_naming_the_element(clerk_api, ct, monday, change, expression):
    body = {**booking(make_patient(), ct, local_instant(monday, time(8))), **change}
    status, outcome, _ = clerk_api.post("Appointment", body)
    assert status == 422, outcome
    assert validate(outcome)["issue"][0]["expression"] == [expression]
    assert not Booking.objects.exists()


def test_a_time_that_is_no_slot_is_422(clerk_api, ct, monday):
    body = booking(make_patient(), ct, local_instant(monday, time(8, 10)))
    status, outcome, _ = clerk_api.post("Appointment", body)
    assert status == 422 and "no slot starting at" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ([("start", "yesterday")], "start"),
        ([("start", "ne2030-01-01")], "start"),
        ([("start", "ge2030-01-01"), ("start", "lt2031-01-01")], "start"),  # over 92 days
        ([("status", "maybe")], "status"),
        ([("schedule", "Patient/1")], "schedule"),
        ([("colour", "blue")], "colour"),
        ([("_count", "many")], "_count"),
    ],
)
def test_malformed_slot_searches_are_400(clerk_api, ct, params, name):
    status, outcome, _ = clerk_api.get("Slot", params)
    assert status == 400 and validate(outcome)["issue"][0]["expression"] == [name]


def test_a_patient_token_books_for_themself_but_not_for_another(client, ct, monday):
    me, other = make_patient(), make_patient()
    app = patient_token(client, me.pk, "patient/Appointment.write", "patient/Slot.read")
    eight = local_instant(monday, time(8))
    status, outcome, _ = app.post("Appointment", booking(other, ct, eight))
    assert status == 404 and outcome["issue"][0]["expression"] == ["Appointment.participant"]
    status, appointment, _ = app.post("Appointment", booking(me, ct, eight))
    assert status == 201
    assert appointment["participant"][0]["actor"]["reference"] == f"Patient/{me.pk}"
    assert Appointment.objects.get().patient == me


def test_booking_needs_the_permission_and_a_write_scope(client, ct, monday):
    patient = make_patient()
    radiologist = Api(sign_in(Client(), make_staff(Role.RADIOLOGIST, all_sites=True)))
    body = booking(patient, ct, local_instant(monday, time(8)))
    status, outcome, _ = radiologist.post("Appointment", body)
    assert status == 403 and "book_slot" in outcome["issue"][0]["diagnostics"]
    reader = patient_token(client, patient.pk, "patient/*.read")
    status, _, _ = reader.post("Appointment", body)
    assert status == 403
    assert not Appointment.objects.exists()


def test_booking_an_order_links_the_appointment_to_it(clerk_api, ct, monday):
    patient = make_patient()
    order = make_order(patient)
    order.procedure_code = "CTHEAD"
    order.save()
    body = booking(patient, ct, local_instant(monday, time(8)),
                   basedOn=[{"reference": f"ServiceRequest/{order.pk}"}])
    status, appointment, _ = clerk_api.post("Appointment", body)
    assert status == 201 and appointment["basedOn"] == [{"reference": f"ServiceRequest/{order.pk}"}]


@pytest.mark.django_db(transaction=True)
def test_fhirpy_pages_through_a_weeks_slots(live_server, actor):
    schedule = make_schedule(hours=(time(8), time(10)))
    user = make_staff(Role.FRONT_DESK, all_sites=True)
    cookie = sign_in(Client(), user).cookies["sessionid"].value
    fhir = SyncFHIRClient(
        f"{live_server.url}/fhir", extra_headers={"Cookie": f"sessionid={cookie}"}
    )
    monday = next_weekday(0)
    search = fhir.resources("Slot").search(
        schedule=f"Schedule/{schedule.pk}", status="free"
    ).search(start__ge=monday.isoformat(), start__lt=(monday + timedelta(7)).isoformat())
    assert len(search.limit(5).fetch()) == 5
    everything = search.limit(5).fetch_all()  # follows the Bundle's next links
    assert len(everything) == 7 * 4 and len({s.id for s in everything}) == 28
    for slot in everything:
        validate(slot.serialize())


def test_slot_search_queries_do_not_grow_with_the_window(clerk_api, ct, monday):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    book_slot(ct, local_instant(monday, time(8)), make_patient())

    def queries_for(days: int) -> int:
        end = (monday + timedelta(days=days)).isoformat()
        with CaptureQueriesContext(connection) as captured:
            status, _, _ = clerk_api.get("Slot", [("start", f"ge{monday}"), ("start", f"lt{end}")])
        assert status == 200
        return len(captured)

    queries_for(1)  # the session's first request of the minute writes its activity
    assert queries_for(28) == queries_for(7)
