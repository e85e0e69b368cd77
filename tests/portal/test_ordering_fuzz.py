"""Hostile ORM uploads: whatever the bytes, the answer is a placed order or a clear
OrderUploadError, never a crash, and a refused file places nothing."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radbridge.accounts.models import Consent
from radbridge.clinical.models import Order
from radbridge.portal.ordering_intake import OrderUploadError, place_from_upload
from tests.personas import make_patient, make_physician

pytestmark = pytest.mark.django_db

VALID = (
    "MSH|^~\\&|EHR|CLINIC|RADBRIDGE|CENTRE|20260301101500||ORM^O01|MSG1|P|2.5.1\r"
    "PID|1||{mrn}^^^TEST^MR||Roe^Ann||19800517|F\r"
    "ORC|NW|FUZZ1|||||^^^20260302^^S\r"
    "OBR|1|FUZZ1||MRBRAIN^MR brain^L|||20260302||||||Follow-up|||||FUZZ1||||||MR\r"
)


@pytest.fixture
def orderer():
    physician = make_physician()
    patient = make_patient()
    Consent.objects.create(patient=patient, physician=physician, source="staff")
    return physician, VALID.format(mrn=patient.identifiers.get().value).encode()


def attempt(user, raw: bytes) -> None:
    before = Order.objects.count()
    try:
        placed = place_from_upload(user, raw)
    except OrderUploadError as error:
        assert str(error).strip()
        assert Order.objects.count() == before
    else:
        assert Order.objects.count() == before + len(placed)
        Order.objects.filter(pk__in=[o.pk for o in placed]).delete()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_order_messages_are_placed_or_refused_clearly(orderer, data):
    user, valid = orderer
    raw = bytearray(valid)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        byte = data.draw(st.sampled_from(list(b"|^~\\&\r\n\x00\xff9AZ ") + [0x0B, 0x1C]))
        if action == "replace":
            raw[position] = byte
        elif action == "delete":
            del raw[position]
        else:
            raw[position:position] = bytes([byte]) * data.draw(st.integers(1, 300))
    attempt(user, bytes(raw))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=2000))
def test_random_bytes_are_refused_clearly(orderer, raw):
    attempt(orderer[0], raw)
