"""Who may book for whom: patients for themselves, physicians for their patients, staff by site."""

import pytest

from radbridge.accounts.choices import Role
from radbridge.scheduling.permissions import bookable_orders, bookable_patients, may_book
from tests.personas import (
    make_centre_admin,
    make_location,
    make_order,
    make_patient,
    make_patient_user,
    make_physician,
    make_practitioner,
    make_site,
    make_staff,
)

pytestmark = pytest.mark.django_db


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_a_patient_books_for_themselves_only(actor):
    me, other = make_patient(), make_patient()
    user = make_patient_user(me)
    assert may_book(user)
    assert ids(bookable_patients(user)) == {me.pk}
    assert other.pk not in ids(bookable_patients(user))


def test_a_physician_books_for_the_patients_they_ordered_for(actor):
    practitioner = make_practitioner()
    physician = make_physician(practitioner)
    mine = make_order(practitioner=practitioner)
    theirs = make_order()
    assert ids(bookable_patients(physician)) == {mine.patient_id}
    assert ids(bookable_orders(physician)) == {mine.pk}
    assert theirs.patient_id not in ids(bookable_patients(physician))


def test_front_desk_books_for_patients_at_their_sites(actor):
    site, elsewhere = make_site(), make_site()
    here = make_order(location=make_location(site))
    there = make_order(location=make_location(elsewhere))
    clerk = make_staff(Role.FRONT_DESK, sites=[site])
    assert ids(bookable_patients(clerk)) == {here.patient_id}
    assert there.patient_id not in ids(bookable_patients(clerk))


def test_radiologists_and_anonymous_users_book_for_nobody(actor):
    from django.contrib.auth.models import AnonymousUser

    make_order()
    radiologist = make_staff(Role.RADIOLOGIST, all_sites=True)
    assert not may_book(radiologist) and not bookable_patients(radiologist).exists()
    assert not may_book(AnonymousUser())


def test_the_centre_administrator_books_for_anyone(actor):
    patient = make_patient()
    assert patient.pk in ids(bookable_patients(make_centre_admin()))
