"""Entries written many at once (`record_reads`, `record_all`) are stored exactly as one
`record` stores them: same values, readable back, sealed and verified by the chain."""

import pytest

from radbridge.accounts.audit_chain import seal_pending, verify_chain
from radbridge.core import audit
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_written_together_read_back_seal_and_verify():
    actor = Actor(name="user:dr-é", role="physician", source_address="10.0.0.7",
                  user_agent="Firefox ✓")
    with acting_as(actor):
        single = audit.record_read("report", "order", 1, patient_id=7, reason="care")
        audit.record_reads("study_list", "order", [(n, 100 + n) for n in range(600)],
                           query={"name": "Müller", "stat": True}, count=600)
    together = list(AuditEntry.objects.exclude(pk=single.pk).order_by("id"))
    assert len(together) == 600  # more than one INSERT's worth of rows
    first = together[0]
    assert (first.actor, first.actor_role, first.action, first.object_type, first.object_id,
            first.patient_id, first.source_address, first.user_agent, first.outcome) == (
        "user:dr-é", "physician", "read.study_list", "order", "0", 100, "10.0.0.7",
        "Firefox ✓", "ok")
    assert first.detail == {"query": {"name": "Müller", "stat": True}, "count": 600}
    assert first.at.tzinfo is not None and abs((first.at - single.at).total_seconds()) < 60
    assert [e.object_id for e in together] == [str(n) for n in range(600)]
    assert {e.seq for e in together} == {None} and {e.entry_hash for e in together} == {""}
    assert seal_pending() == 601
    result = verify_chain()
    assert result.intact and result.checked == 601, result.problem
