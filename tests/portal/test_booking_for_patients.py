"""Front desk and physicians book a time for an order from its study page, through the same
week and confirm pages patients use; the booked time then shows on the study page, the
worklist and the patient's My studies. Nobody books for a patient they may not book for."""

from datetime import time

import pytest
from django.utils import dateformat, timezone

from radbridge.accounts.choices import Role
from radbridge.clinical.models import Appointment
from radbridge.scheduling.availability import slots
from tests.personas import (
    make_centre_admin,
    make_clinic,
    make_location,
    make_order,
    make_patient_user,
    make_physician,
    make_site,
    make_staff,
    sign_in,
)
from tests.scheduling.helpers import make_schedule, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    return make_site("North")


@pytest.fixture
def ct():
    return make_schedule(hours=(time(8), time(10)))


@pytest.fixture
def order(site):
    return make_order(location=make_location(site))


@pytest.fixture
def clerk(site):
    return make_staff(Role.FRONT_DESK, sites=[site])


def first_free_slot(schedule, weekday=0):
    day = next_weekday(weekday)
    return next(slot for slot in slots(schedule, day, day) if slot.free)


def shown(instant) -> str:
    return dateformat.format(timezone.localtime(instant), "j F Y H:i")


def book_from_study_page(client, order, slot):
    study = client.get(f"/studies/{order.pk}/").content.decode()
    assert "Book a time" in study
    week = client.get(f"/book/slots/?order={order.pk}&week={slot.start.date().isoformat()}")
    page = week.content.decode()
    assert slot.key in page and order.patient.display_name in page
    assert "Back to the study" in page and "Choose another exam" not in page
    confirm = client.get(f"/book/confirm/?order={order.pk}&slot={slot.key}").content.decode()
    assert "Confirm the booking" in confirm and order.patient.display_name in confirm
    return client.post("/book/confirm/", {"order": order.pk, "slot": slot.key})


def test_front_desk_books_a_time_from_the_study_page(client, order, clerk, ct):
    slot = first_free_slot(ct)
    sign_in(client, clerk)
    done = book_from_study_page(client, order, slot)
    assert done.status_code == 302 and done["Location"] == f"/studies/{order.pk}/"
    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.order) == (order.patient, order)
    study = client.get(done["Location"]).content.decode()
    assert f"Booked for {order.patient.display_name}" in study
    assert shown(slot.start) in study
    assert "Book a time" not in study and "Move the appointment" in study


def test_the_booked_time_shows_on_the_worklist_and_in_my_studies(client, order, clerk, ct):
    slot = first_free_slot(ct, weekday=2)
    sign_in(client, clerk)
    book_from_study_page(client, order, slot)
    worklist = client.get("/studies/", {"accession": order.accession_number}).content.decode()
    assert timezone.localtime(slot.start).strftime("%Y-%m-%d %H:%M") in worklist
    sign_in(client, make_patient_user(order.patient))
    assert shown(slot.start) in client.get("/my/studies/").content.decode()


def test_front_desk_moves_the_appointment_from_the_study_page(client, order, clerk, ct):
    first, later = first_free_slot(ct, weekday=0), first_free_slot(ct, weekday=3)
    sign_in(client, clerk)
    book_from_study_page(client, order, first)
    appointment = Appointment.objects.get()
    study = client.get(f"/studies/{order.pk}/").content.decode()
    assert f"/book/slots/?reschedule={appointment.pk}" in study
    moved = client.post("/book/confirm/", {"reschedule": appointment.pk, "slot": later.key})
    assert moved["Location"] == f"/studies/{order.pk}/"
    order.refresh_from_db()
    assert order.scheduled_at == later.start


def test_the_ordering_physician_books_for_their_patient(client, ct):
    physician = make_physician(clinic=make_clinic())
    order = make_order(practitioner=physician.profile.practitioner)
    sign_in(client, physician)
    done = book_from_study_page(client, order, first_free_slot(ct))
    assert done["Location"] == f"/studies/{order.pk}/"
    assert Appointment.objects.get().order == order


def test_a_physician_of_another_clinic_gets_404(client, ct):
    order = make_order(practitioner=make_physician(clinic=make_clinic()).profile.practitioner)
    slot = first_free_slot(ct)
    sign_in(client, make_physician(clinic=make_clinic()))
    assert client.get(f"/studies/{order.pk}/").status_code == 404
    assert client.get(f"/book/slots/?order={order.pk}").status_code == 404
    assert client.get(f"/book/confirm/?order={order.pk}&slot={slot.key}").status_code == 404
    posted = client.post("/book/confirm/", {"order": order.pk, "slot": slot.key})
    assert posted.status_code == 404 and not Appointment.objects.exists()


def test_front_desk_of_another_site_gets_404(client, order, ct):
    slot = first_free_slot(ct)
    sign_in(client, make_staff(Role.FRONT_DESK, sites=[make_site("South")]))
    assert client.get(f"/book/slots/?order={order.pk}").status_code == 404
    posted = client.post("/book/confirm/", {"order": order.pk, "slot": slot.key})
    assert posted.status_code == 404 and not Appointment.objects.exists()


def test_a_radiologist_has_no_button_and_cannot_book(client, order, ct):
    slot = first_free_slot(ct)
    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    study = client.get(f"/studies/{order.pk}/")
    assert study.status_code == 200 and "Book a time" not in study.content.decode()
    assert client.get(f"/book/slots/?order={order.pk}").status_code == 404
    posted = client.post("/book/confirm/", {"order": order.pk, "slot": slot.key})
    assert posted.status_code == 404 and not Appointment.objects.exists()


def test_staff_book_for_an_order_not_a_bare_procedure(client, clerk, ct):
    sign_in(client, clerk)
    assert client.get("/book/slots/?service=CT").status_code == 404
    assert client.get("/book/").status_code == 404  # the patients' own start page


def test_a_booked_order_is_not_booked_twice(client, order, clerk, ct):
    sign_in(client, clerk)
    book_from_study_page(client, order, first_free_slot(ct, weekday=0))
    again = client.post(
        "/book/confirm/", {"order": order.pk, "slot": first_free_slot(ct, weekday=1).key},
        follow=True,
    )
    assert "already booked" in again.content.decode()
    assert Appointment.objects.count() == 1


def test_a_cancelled_order_offers_no_booking(client, order, clerk, ct):
    order.status = "cancelled"
    order.save()
    sign_in(client, clerk)
    assert "Book a time" not in client.get(f"/studies/{order.pk}/").content.decode()
    refused = client.post(
        "/book/confirm/", {"order": order.pk, "slot": first_free_slot(ct).key}, follow=True
    )
    assert "was cancelled" in refused.content.decode() and not Appointment.objects.exists()


def test_front_desk_cancels_from_the_study_page_and_the_order_awaits_a_slot(
        client, order, clerk, ct):
    sign_in(client, clerk)
    book_from_study_page(client, order, first_free_slot(ct))
    appointment = Appointment.objects.get()
    study = client.get(f"/studies/{order.pk}/").content.decode()
    assert f"/my/appointments/{appointment.pk}/cancel/" in study
    done = client.post(f"/my/appointments/{appointment.pk}/cancel/")
    assert done["Location"] == f"/studies/{order.pk}/"
    appointment.refresh_from_db()
    order.refresh_from_db()
    assert appointment.status == "cancelled" and order.scheduled_at is None
    assert appointment.reason == "cancelled by front desk in the portal"
    assert "Book a time" in client.get(done["Location"]).content.decode()


def test_a_radiologist_cannot_cancel_a_booking(client, order, clerk, ct):
    sign_in(client, clerk)
    book_from_study_page(client, order, first_free_slot(ct))
    appointment = Appointment.objects.get()
    sign_in(client, make_staff(Role.RADIOLOGIST, all_sites=True))
    assert "Cancel the appointment" not in client.get(f"/studies/{order.pk}/").content.decode()
    assert client.post(f"/my/appointments/{appointment.pk}/cancel/").status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == "booked"


@pytest.mark.parametrize("make_booker", [
    lambda site: make_staff(Role.TECHNOLOGIST, sites=[site]),
    lambda site: make_centre_admin(),
], ids=["technologist", "centre-admin"])
def test_technologists_and_centre_administrators_book_too(client, site, order, ct, make_booker):
    sign_in(client, make_booker(site))
    done = book_from_study_page(client, order, first_free_slot(ct))
    assert done["Location"] == f"/studies/{order.pk}/"


@pytest.mark.parametrize("query", [
    "order=abc", "order=999999", "order=", "reschedule=-1", "order={order}&slot=garbage",
    "order={order}%00", "order=" + "9" * 400,
])
def test_hostile_or_malformed_staff_choices_are_404(client, order, clerk, ct, query):
    sign_in(client, clerk)
    query = query.format(order=order.pk)
    assert client.get(f"/book/confirm/?{query}").status_code == 404
    assert not Appointment.objects.exists()


def test_a_patient_books_from_their_own_study_page_too(client, order, ct):
    slot = first_free_slot(ct)
    sign_in(client, make_patient_user(order.patient))
    study = client.get(f"/studies/{order.pk}/").content.decode()
    assert f"/book/slots/?order={order.pk}" in study
    done = client.post("/book/confirm/", {"order": order.pk, "slot": slot.key})
    appointment = Appointment.objects.get()
    assert done["Location"] == f"/my/appointments/{appointment.pk}/"
    assert "Move the appointment" in client.get(f"/studies/{order.pk}/").content.decode()
