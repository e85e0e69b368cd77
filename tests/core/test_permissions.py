"""restrict(): deny by default, rules per model, and visibility through related objects."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from radbridge.clinical.models import Document, Order, Patient, Report
from radbridge.core import permissions


@pytest.fixture
def rules():
    saved = dict(permissions._rules)
    permissions._rules.clear()
    yield permissions.register_rule
    permissions._rules.clear()
    permissions._rules.update(saved)


@pytest.fixture
def two_orders(db):
    alice = Patient.objects.create(family_name="Alice")
    bob = Patient.objects.create(family_name="Bob")
    mine = Order.objects.create(accession_number="A1", patient=alice)
    theirs = Order.objects.create(accession_number="B1", patient=bob)
    Report.objects.create(order=mine, status="final")
    Report.objects.create(order=theirs, status="final")
    return mine, theirs


def test_without_a_rule_nothing_is_visible(rules, two_orders):
    user = User.objects.create(username="u")
    assert list(Order.objects.restrict(user)) == []
    assert list(Report.objects.restrict(user)) == []


def test_anonymous_sees_nothing_even_with_a_rule(rules, two_orders):
    rules("clinical.order", lambda qs, user, action: qs)
    assert list(Order.objects.restrict(AnonymousUser())) == []
    assert list(Order.objects.restrict(None)) == []


def test_related_objects_follow_the_rule_of_what_they_belong_to(rules, two_orders):
    mine, _ = two_orders
    rules("clinical.order", lambda qs, user, action: qs.filter(accession_number="A1"))
    user = User.objects.create(username="u")
    assert [r.order_id for r in Report.objects.restrict(user)] == [mine.id]


def test_visible_through_either_relation(rules, two_orders):
    mine, theirs = two_orders
    by_order = Document.objects.create(unique_id="d1", patient=theirs.patient, order=mine)
    by_patient = Document.objects.create(unique_id="d2", patient=theirs.patient)
    hidden = Document.objects.create(unique_id="d3", patient=mine.patient, order=theirs)
    rules("clinical.order", lambda qs, user, action: qs.filter(pk=mine.pk))
    rules("clinical.patient", lambda qs, user, action: qs.filter(pk=theirs.patient_id))
    user = User.objects.create(username="u")
    visible = set(Document.objects.restrict(user))
    assert by_order in visible and by_patient in visible
    assert hidden not in visible  # Alice's document on Bob's order: neither is visible
    rules("clinical.patient", lambda qs, user, action: qs.none())
    assert set(Document.objects.restrict(user)) == {by_order}
