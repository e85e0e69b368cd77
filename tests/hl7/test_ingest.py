"""Group commit: several messages journaled in one transaction keep their order and identity."""

import pytest

from radbridge.clinical.models import Order
from radbridge.hl7.ingest import Received, ingest_batch
from radbridge.hl7.models import InboundMessage
from tests.hl7.helpers import orm

pytestmark = pytest.mark.django_db


def test_a_retransmission_inside_the_same_batch_points_at_its_original(actor):
    first = orm("D1", "ACCD1").encode()
    outcomes = ingest_batch(
        [
            Received(first, "mllp", "a"),
            Received(orm("D2", "ACCD2").encode(), "mllp", "a"),
            Received(first, "mllp", "a"),
        ]
    )
    assert [o.status for o in outcomes] == ["applied", "applied", "duplicate"]
    assert outcomes[0].journal_id < outcomes[1].journal_id < outcomes[2].journal_id
    duplicate = InboundMessage.objects.get(id=outcomes[2].journal_id)
    assert duplicate.duplicate_of_id == outcomes[0].journal_id
    assert duplicate.ack == InboundMessage.objects.get(id=outcomes[0].journal_id).ack
    assert Order.objects.count() == 2


def test_journal_ids_follow_the_order_messages_were_received(actor):
    outcomes = ingest_batch(
        [Received(orm(f"O{n}", f"ACCO{n}").encode(), "mllp", "a") for n in range(30)]
    )
    rows = InboundMessage.objects.order_by("id").values_list("id", "control_id")
    assert list(rows) == [(o.journal_id, f"O{n}") for n, o in enumerate(outcomes)]


def test_general_order_omg_o19_places_the_order_like_orm(actor):
    text = orm("G19", "ACCG19").replace("ORM^O01", "OMG^O19", 1)
    outcome = ingest_batch([Received(text.encode(), "mllp", "a")])[0]
    assert outcome.ack_code == "AA"
    assert Order.objects.get().accession_number == "ACCG19"


def test_order_change_xo_updates_the_known_order(actor):
    ingest_batch([Received(orm("X1", "ACCX1").encode(), "mllp", "a")])
    change = orm("X2", "ACCX1", control="XO", priority="S")
    assert ingest_batch([Received(change.encode(), "mllp", "a")])[0].ack_code == "AA"
    assert Order.objects.get().priority == "stat"
