"""Self-scheduling pages with Django's test client: book from an order or a procedure, the
week swapped by HTMX, a slot taken meanwhile, reschedule, cancel, and nobody else's records."""

from datetime import time, timedelta

import pytest

from radbridge.clinical import services as clinical
from radbridge.clinical.data import AppointmentData, IdentifierData, PatientData
from radbridge.clinical.models import Appointment
from radbridge.scheduling.availability import local_instant, slots
from radbridge.scheduling.models import Booking
from radbridge.scheduling.services import book_slot
from tests.personas import make_order, make_patient, make_patient_user, sign_in
from tests.scheduling.helpers import make_schedule, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def ct():
    return make_schedule(hours=(time(8), time(10)), procedure_codes=["CTHEAD"])


@pytest.fixture
def me(client):
    patient = make_patient()
    sign_in(client, make_patient_user(patient))
    return patient


def head_order(patient):
    order = make_order(patient)
    order.procedure_code, order.procedure_text = "CTHEAD", "CT head"
    order.save()
    return order


def first_free_slot(schedule, day):
    return next(slot for slot in slots(schedule, day, day) if slot.free)


def test_a_patient_books_the_exam_their_doctor_ordered(client, me, ct):
    order = head_order(me)
    start_page = client.get("/book/")
    assert b"CT head" in start_page.content
    week = client.get(f"/book/slots/?order={order.pk}&week={next_weekday(0).isoformat()}")
    assert week.status_code == 200 and b"<html" in week.content
    slot = first_free_slot(ct, next_weekday(0))
    assert slot.key.encode() in week.content
    confirm = client.get(f"/book/confirm/?order={order.pk}&slot={slot.key}")
    assert b"Confirm booking" in confirm.content
    done = client.post("/book/confirm/", {"order": order.pk, "slot": slot.key, "reason": "x"})
    appointment = Appointment.objects.get()
    assert done["Location"] == f"/my/appointments/{appointment.pk}/"
    assert (appointment.patient, appointment.order) == (me, order)
    assert appointment.starts_at == slot.start
    assert b"You are booked" in client.get(done["Location"]).content
    assert b"Exams your doctor ordered" not in client.get("/book/").content


def test_a_patient_books_a_procedure_without_an_order(client, me, ct):
    assert b"CTHEAD" in client.get("/book/").content
    slot = first_free_slot(ct, next_weekday(1))
    client.post("/book/confirm/", {"service": "CTHEAD", "slot": slot.key})
    appointment = Appointment.objects.get()
    assert appointment.service_code == "CTHEAD" and appointment.patient == me


def test_htmx_swaps_only_the_week(client, me, ct):
    monday = next_weekday(0)
    response = client.get(
        f"/book/slots/?service=CTHEAD&week={monday.isoformat()}", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and b"<html" not in response.content
    assert b"Next week" in response.content and b"Previous week" in response.content


def test_a_slot_taken_meanwhile_sends_the_patient_back_to_the_week(client, me, ct):
    slot = first_free_slot(ct, next_weekday(2))
    book_slot(ct, slot.start, make_patient())
    response = client.post("/book/confirm/", {"service": "CTHEAD", "slot": slot.key}, follow=True)
    assert b"no longer free" in response.content
    assert Appointment.objects.count() == 1


def test_reschedule_and_cancel_from_my_appointments(client, me, ct):
    day = next_weekday(3)
    appointment = book_slot(ct, local_instant(day, time(8)), me, procedure_code="CTHEAD")
    listing = client.get("/my/appointments/")
    assert b"Reschedule" in listing.content and b"Cancel appointment" in listing.content
    later = local_instant(day, time(9, 30))
    target = next(s for s in slots(ct, day, day) if s.start == later)
    moved = client.post("/book/confirm/", {"reschedule": appointment.pk, "slot": target.key})
    assert moved.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == later and Booking.objects.get().starts_at == later
    client.post(f"/my/appointments/{appointment.pk}/cancel/")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and not Booking.objects.exists()
    assert b"Cancel appointment" not in client.get("/my/appointments/").content


def test_appointments_from_the_ris_are_shown_but_not_changeable(client, me, ct):
    identifier = me.identifiers.get()
    clinical.book_appointment(
        AppointmentData(
            external_id="RIS-5",
            patient=PatientData([IdentifierData(identifier.value, identifier.assigning_authority)]),
            status="booked",
            starts_at=local_instant(next_weekday(4), time(8)),
        )
    )
    page = client.get("/my/appointments/")
    assert b"call the centre" in page.content and b"Cancel appointment" not in page.content
    ris = Appointment.objects.get()
    assert client.post(f"/my/appointments/{ris.pk}/cancel/").status_code == 404
    assert client.get(f"/book/slots/?reschedule={ris.pk}").status_code == 404


def test_another_patients_order_and_appointment_are_404(client, me, ct):
    other = make_patient()
    their_order = head_order(other)
    theirs = book_slot(ct, local_instant(next_weekday(0), time(8)), other)
    slot = first_free_slot(ct, next_weekday(0))
    assert client.get(f"/book/slots/?order={their_order.pk}").status_code == 404
    assert client.get(f"/book/confirm/?order={their_order.pk}&slot={slot.key}").status_code == 404
    posted = client.post("/book/confirm/", {"order": their_order.pk, "slot": slot.key})
    assert posted.status_code == 404
    assert client.get(f"/my/appointments/{theirs.pk}/").status_code == 404
    assert client.post(f"/my/appointments/{theirs.pk}/cancel/").status_code == 404
    assert client.get(f"/book/slots/?reschedule={theirs.pk}").status_code == 404
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    "query",
    ["service=NOPE", "order=abc", "", "service=CTHEAD&slot=garbage", "service=CTHEAD&slot=1-2"],
)
def test_hostile_or_malformed_choices_are_404(client, me, ct, query):
    assert client.get(f"/book/confirm/?{query}").status_code == 404


def test_weeks_are_clamped_to_the_bookable_range(client, me, ct):
    far = (next_weekday(0) + timedelta(weeks=200)).isoformat()
    response = client.get(f"/book/slots/?service=CTHEAD&week={far}")
    assert response.status_code == 200 and b"Next week" not in response.content
    assert client.get("/book/slots/?service=CTHEAD&week=1999-01-01").status_code == 200
    assert client.get("/book/slots/?service=CTHEAD&week=not-a-date").status_code == 200


def test_other_roles_do_not_see_the_booking_pages(client, ct):
    from radbridge.accounts.choices import Role
    from tests.personas import make_staff

    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    assert client.get("/book/").status_code == 404
