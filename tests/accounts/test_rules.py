"""Who sees which orders and patients: every role against every kind of record, negatives
first. Reports, documents and appointments follow their order or patient (restricted_via)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from radbridge.accounts.choices import Role
from radbridge.accounts.models import Consent, ProxyGrant
from radbridge.clinical.models import Appointment, Document, Order, Patient, Report
from tests.personas import (
    make_centre_admin,
    make_clinic,
    make_clinic_admin,
    make_integration,
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


def visible_orders(user):
    return set(Order.objects.restrict(user).values_list("accession_number", flat=True))


def visible_patients(user):
    return set(Patient.objects.restrict(user).values_list("pk", flat=True))


def consent(patient, physician, days=30, **kwargs):
    return Consent.objects.create(
        patient=patient, physician=physician, source="staff",
        expires_at=timezone.now() + timedelta(days=days), **kwargs,
    )


def test_patient_a_cannot_see_patient_b_orders_reports_or_record():
    alice, bob = make_patient(), make_patient()
    alice_order = make_order(alice, report_text="Alice's report")
    bob_order = make_order(bob, report_text="Bob's report")
    user = make_patient_user(alice)
    assert visible_orders(user) == {alice_order.accession_number}
    assert bob_order.accession_number not in visible_orders(user)
    assert not Report.objects.restrict(user).filter(order=bob_order).exists()
    assert visible_patients(user) == {alice.pk}


def test_user_without_profile_or_inactive_sees_nothing():
    make_order(report_text="x")
    nobody = User.objects.create(username="nobody")
    assert visible_orders(nobody) == set() and visible_patients(nobody) == set()
    admin = make_centre_admin()
    admin.is_active = False
    admin.save()
    assert visible_orders(User.objects.get(pk=admin.pk)) == set()
    assert visible_orders(AnonymousUser()) == set()


def test_physician_sees_ordered_and_copied_not_another_clinics_patient():
    clinic, other_clinic = make_clinic(), make_clinic()
    doctor = make_physician(clinic=clinic)
    other_doctor = make_physician(clinic=other_clinic)
    mine = make_order(practitioner=doctor.profile.practitioner)
    copied = make_order(practitioner=other_doctor.profile.practitioner)
    copied.copies_to.add(doctor.profile.practitioner)
    theirs = make_order(practitioner=other_doctor.profile.practitioner)
    assert visible_orders(doctor) == {mine.accession_number, copied.accession_number}
    assert theirs.accession_number not in visible_orders(doctor)
    # Seeing an order is not seeing the patient's whole record.
    assert visible_patients(doctor) == set()


def test_physician_sees_clinic_colleagues_orders_only_when_the_clinic_allows():
    closed, shared = make_clinic(), make_clinic(colleagues_see_orders=True)
    a, b = make_physician(clinic=closed), make_physician(clinic=closed)
    c, d = make_physician(clinic=shared), make_physician(clinic=shared)
    by_b = make_order(practitioner=b.profile.practitioner)
    by_d = make_order(practitioner=d.profile.practitioner)
    assert by_b.accession_number not in visible_orders(a)
    assert by_d.accession_number in visible_orders(c)
    assert by_b.accession_number not in visible_orders(c)


def test_physician_sees_another_providers_report_only_with_valid_consent():
    doctor, other = make_physician(clinic=make_clinic()), make_physician(clinic=make_clinic())
    patient = make_patient()
    elsewhere = make_order(patient, practitioner=other.profile.practitioner, report_text="r")
    assert elsewhere.accession_number not in visible_orders(doctor)
    grant = consent(patient, doctor)
    assert elsewhere.accession_number in visible_orders(doctor)
    assert Report.objects.restrict(doctor).filter(order=elsewhere).exists()
    assert visible_patients(doctor) == {patient.pk}
    grant.revoked_at = timezone.now()
    grant.save()
    assert elsewhere.accession_number not in visible_orders(doctor)
    assert visible_patients(doctor) == set()


def test_expired_or_future_consent_gives_nothing():
    doctor, patient = make_physician(), make_patient()
    order = make_order(patient, report_text="r")
    consent(patient, doctor, days=-1)
    consent(patient, doctor, starts_at=timezone.now() + timedelta(days=1))
    assert order.accession_number not in visible_orders(doctor)


def test_staff_see_their_sites_only():
    north, south = make_site(), make_site()
    north_room, south_room, loose_room = make_location(north), make_location(south), make_location()
    tech = make_staff(Role.TECHNOLOGIST, sites=[north])
    desk = make_staff(Role.FRONT_DESK, locations=[loose_room])
    at_north = make_order(location=north_room)
    at_south = make_order(location=south_room)
    in_room = make_order(location=loose_room)
    assert visible_orders(tech) == {at_north.accession_number}
    assert visible_orders(desk) == {in_room.accession_number}
    assert visible_patients(tech) == {at_north.patient_id}
    assert at_south.patient_id not in visible_patients(tech)
    assert Order.objects.restrict(tech, "change").filter(pk=at_north.pk).exists()


def test_staff_for_the_whole_centre_and_centre_admin_see_everything():
    orders = {make_order().accession_number, make_order(location=make_location()).accession_number}
    assert visible_orders(make_staff(all_sites=True)) >= orders
    assert visible_orders(make_centre_admin()) >= orders


def test_clinic_admin_sees_no_clinical_record():
    clinic = make_clinic(colleagues_see_orders=True)
    doctor = make_physician(clinic=clinic)
    make_order(practitioner=doctor.profile.practitioner)
    admin = make_clinic_admin(clinic)
    assert visible_orders(admin) == set() and visible_patients(admin) == set()


def test_patients_and_physicians_cannot_change_records():
    patient = make_patient()
    make_order(patient)
    user = make_patient_user(patient)
    assert not Order.objects.restrict(user, "change").exists()
    assert not Patient.objects.restrict(user, "change").exists()
    assert not Order.objects.restrict(make_centre_admin(), "delete").exists()


def test_proxy_sees_the_patient_while_the_grant_is_active():
    child, parent_record = make_patient(), make_patient()
    order = make_order(child, report_text="r")
    parent = make_patient_user(parent_record)
    assert order.accession_number not in visible_orders(parent)
    grant = ProxyGrant.objects.create(patient=child, proxy=parent, relationship="parent")
    assert order.accession_number in visible_orders(parent)
    assert child.pk in visible_patients(parent)
    grant.expires_at = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert order.accession_number not in visible_orders(parent)


def test_patient_account_survives_a_merge():
    old, survivor = make_patient(), make_patient()
    user = make_patient_user(old)
    moved = make_order(old, report_text="r")
    already = make_order(survivor)
    Order.objects.filter(pk=moved.pk).update(patient=survivor)
    Patient.objects.filter(pk=old.pk).update(merged_into=survivor)
    assert visible_orders(user) == {moved.accession_number, already.accession_number}


def test_related_records_follow_order_and_patient():
    alice, bob = make_patient(), make_patient()
    alice_order = make_order(alice)
    user = make_patient_user(alice)
    mine = Document.objects.create(unique_id="d1", patient=alice, order=alice_order)
    theirs = Document.objects.create(unique_id="d2", patient=bob)
    visit = Appointment.objects.create(external_id="a1", patient=bob)
    assert list(Document.objects.restrict(user)) == [mine]
    assert theirs not in Document.objects.restrict(user)
    assert visit not in Appointment.objects.restrict(user)


def test_integration_account_sees_all_but_a_patient_token_only_that_patient():
    a, b = make_order(), make_order()
    robot = make_integration()
    assert {a.accession_number, b.accession_number} <= visible_orders(robot)
    robot.token_patient_id = a.patient_id
    assert visible_orders(robot) == {a.accession_number}
    assert visible_patients(robot) == {a.patient_id}


def test_physician_without_practitioner_link_sees_nothing():
    doctor = make_physician(practitioner=make_practitioner())
    doctor.profile.practitioner = None
    make_order()
    assert visible_orders(doctor) == set()
