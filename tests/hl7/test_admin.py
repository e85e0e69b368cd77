"""The journal in the admin: a failed message replayed by an administrator."""

import pytest
from django.contrib.auth import get_user_model

from radbridge.clinical.models import Order
from radbridge.core.models import AuditEntry
from radbridge.hl7 import handlers
from radbridge.hl7.ingest import Received, ingest_batch
from radbridge.hl7.models import InboundMessage
from tests.hl7.helpers import orm
from tests.personas import sign_in

pytestmark = pytest.mark.django_db


def test_admin_replays_a_failed_message_and_it_is_audited(client, actor, monkeypatch):
    monkeypatch.setitem(handlers.HANDLERS, ("ORM", "O01"), lambda m: 1 / 0)
    failed = ingest_batch([Received(orm("AD1", "ACCAD1").encode(), "mllp", "test")])[0]
    monkeypatch.undo()
    admin = get_user_model().objects.create_superuser("ops", "ops@example.org", "pw-for-tests")
    sign_in(client, admin)  # administrators pass their second factor first
    page = client.get("/admin/hl7/inboundmessage/")
    assert page.status_code == 200 and b"AD1" in page.content
    response = client.post(
        "/admin/hl7/inboundmessage/",
        {"action": "replay_selected", "_selected_action": [failed.journal_id]},
    )
    assert response.status_code == 302
    assert InboundMessage.objects.get().status == "applied"
    assert Order.objects.filter(accession_number="ACCAD1").exists()
    assert AuditEntry.objects.get(action="hl7.replayed").actor == "user:ops"


def test_journal_is_not_visible_to_anonymous_users(client):
    response = client.get("/admin/hl7/inboundmessage/")
    assert response.status_code == 302 and "/login/" in response["Location"]
