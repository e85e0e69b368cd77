"""The operator's commands: send files, see figures, replay failures, stop gracefully."""

import json
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command

from radbridge.clinical.models import Order
from radbridge.core.models import AuditEntry
from radbridge.hl7 import handlers
from radbridge.hl7.ingest import Received, ingest_batch
from radbridge.hl7.models import InboundMessage
from tests.conftest import CORPUS
from tests.hl7.helpers import orm
from tests.hl7.ris import free_port
from tests.hl7.test_crash_safety import start_server


def radbridge(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "radbridge.cli", *args],
        capture_output=True, text=True, timeout=120, **kwargs,
    )


def test_send_prints_each_ack_and_fails_on_rejection(mllp_listener):
    good = CORPUS / "dcm4che-2021__ORM_O01.hl7"
    result = radbridge("hl7", "send", "--port", str(mllp_listener.port), str(good))
    assert result.returncode == 0, result.stderr
    assert "103106: AA" in result.stdout
    ack_only = CORPUS / "medplum__ACK_nonstandard_field_separator.hl7"
    result = radbridge("hl7", "send", "--port", str(mllp_listener.port), str(ack_only))
    assert result.returncode != 0
    assert "AR" in result.stdout and "not accepted" in result.stderr


def test_send_to_a_closed_port_names_the_file_and_the_problem(tmp_path):
    path = tmp_path / "one.hl7"
    path.write_text(orm("X1", "ACCX"))
    result = radbridge("hl7", "send", "--port", str(free_port()), str(path))
    assert result.returncode != 0
    assert "cannot connect" in result.stderr


@pytest.mark.django_db
def test_stats_counts_messages_by_type_and_status(actor, capsys):
    ingest_batch([Received(orm("S1", "ACCS1").encode(), "mllp", "test")])
    ingest_batch([Received(b"garbage", "mllp", "test")])
    call_command("hl7", "stats")
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"] == 2 and stats["errors"] == 1
    assert {"message_type": "ORM^O01", "status": "applied", "count": 1} in stats["by_type_status"]


@pytest.mark.django_db
def test_replay_applies_a_failed_message_once_the_cause_is_fixed(actor, monkeypatch, capsys):
    def broken(message):
        raise RuntimeError("database of procedures unavailable")

    monkeypatch.setitem(handlers.HANDLERS, ("ORM", "O01"), broken)
    outcome = ingest_batch([Received(orm("R1", "ACCR1").encode(), "mllp", "test")])[0]
    assert outcome.ack_code == "AE" and outcome.status == "failed"
    assert "replay it" in InboundMessage.objects.get().error
    monkeypatch.undo()
    call_command("hl7", "replay")
    assert f"#{outcome.journal_id}: applied" in capsys.readouterr().out
    assert Order.objects.filter(accession_number="ACCR1").exists()
    assert AuditEntry.objects.filter(action="hl7.replayed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_serve_stops_gracefully_on_sigterm(tmp_path):
    port = free_port()
    server = start_server(port, tmp_path)
    server.send_signal(signal.SIGTERM)
    assert server.wait(30) == 0


def test_unknown_role_is_a_clear_error():
    result = radbridge("serve", "--role", "pacs", "--no-migrate")
    assert result.returncode != 0
    assert "unknown role pacs" in result.stderr


@pytest.mark.django_db
def test_prune_deletes_old_entries_but_keeps_failed_ones(actor, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from radbridge.hl7.journal import prune

    monkeypatch.setitem(handlers.HANDLERS, ("ORM", "O01"), lambda m: 1 / 0)
    ingest_batch([Received(orm("P1", "ACCP1").encode(), "mllp", "test")])
    monkeypatch.undo()
    ingest_batch([Received(orm("P2", "ACCP2").encode(), "mllp", "test")])
    InboundMessage.objects.update(received_at=timezone.now() - timedelta(days=400))
    assert prune(365) == 1
    assert list(InboundMessage.objects.values_list("status", flat=True)) == ["failed"]
