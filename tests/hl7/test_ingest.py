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
