"""The audit log is append-only and tamper-evident: `radbridge audit verify` finds an edited
or deleted entry and names it."""

import importlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from radbridge.accounts.audit_chain import seal_pending, verify_chain
from radbridge.core import audit
from radbridge.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db
chain_migration = importlib.import_module("radbridge.core.migrations.0002_audit_hash_chain")


class triggers_off:
    """What someone with the database owner's rights could do: drop the guard, tamper."""

    def __enter__(self):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_audit_append_only")
            else:
                for statement in chain_migration.SQLITE_REVERSE:
                    cursor.execute(statement)

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_audit_append_only")
            else:
                for statement in chain_migration.SQLITE_FORWARD:
                    cursor.execute(statement)


def write_entries(count: int) -> list[AuditEntry]:
    return [audit.record("test.thing", "thing", n, patient_id=n) for n in range(count)]


def verify_output() -> str:
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_an_edited_entry_is_found_and_named(actor):
    entries = write_entries(5)
    seal_pending()
    with triggers_off():
        AuditEntry.objects.filter(pk=entries[2].pk).update(actor="user:someone-else")
    result = verify_chain()
    assert result.problem.kind == "edited"
    assert result.problem.entry_id == entries[2].pk
    with pytest.raises(CommandError, match=f"audit entry id {entries[2].pk}.*was edited"):
        verify_output()


def test_a_deleted_entry_is_found_and_named(actor):
    entries = write_entries(5)
    seal_pending()
    with triggers_off():
        AuditEntry.objects.filter(pk=entries[1].pk).delete()
    result = verify_chain()
    assert result.problem.kind == "deleted"
    assert result.problem.seq == entries[1].__class__.objects.get(pk=entries[0].pk).seq + 1
    with pytest.raises(CommandError, match=f"before audit entry id {entries[2].pk}"):
        verify_output()


def test_entries_deleted_from_the_end_are_found(actor):
    entries = write_entries(4)
    seal_pending()
    with triggers_off():
        AuditEntry.objects.filter(pk__in=[e.pk for e in entries[2:]]).delete()
    assert verify_chain().problem.kind == "truncated"


def test_an_edit_rehashed_by_the_tamperer_still_breaks_the_next_link(actor):
    entries = write_entries(3)
    seal_pending()
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.actor = "user:forger"
    with triggers_off():
        AuditEntry.objects.filter(pk=forged.pk).update(
            actor=forged.actor, entry_hash=forged.chain_hash(forged.seq, forged.prev_hash)
        )
    problem = verify_chain().problem
    assert problem.kind == "relinked" and problem.entry_id == entries[2].pk


def test_an_intact_chain_verifies_and_reports_its_length(actor):
    write_entries(7)
    output = verify_output()
    assert "audit chain intact" in output
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_hash in output and f"#{head.last_seq}" in output


def test_the_database_refuses_to_change_or_delete_sealed_entries(actor):
    entry = write_entries(1)[0]
    seal_pending()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor="user:x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_unsealed_entries_can_be_sealed_but_not_edited(actor):
    entry = write_entries(1)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="something.else")
    assert seal_pending() == 1


def test_record_is_one_insert(actor, django_assert_num_queries):
    with django_assert_num_queries(1):
        audit.record("test.cheap", "thing", 1)


def test_an_entry_committed_late_is_sealed_in_the_next_round(actor):
    early, late = write_entries(2)
    # Simulate a slow transaction: the lower id shows up only after the higher one was sealed.
    with triggers_off():
        AuditEntry.objects.filter(pk=early.pk).delete()
    seal_pending()
    with triggers_off():
        AuditEntry.objects.create(**{
            f.attname: getattr(early, f.attname) for f in AuditEntry._meta.concrete_fields
        })
    assert seal_pending() == 1
    assert verify_chain().intact
    assert AuditEntry.objects.get(pk=early.pk).seq > AuditEntry.objects.get(pk=late.pk).seq


def test_export_writes_csv_with_filters(actor, tmp_path):
    write_entries(3)
    target = tmp_path / "audit.csv"
    call_command("audit", "export", "--patient", "1", "-o", str(target), stderr=StringIO())
    lines = target.read_text().splitlines()
    assert lines[0].startswith("id,at,actor")
    assert len(lines) == 2 and ",test.thing," in lines[1]


def test_export_rejects_a_bad_date(actor):
    with pytest.raises(CommandError, match="--since='yesterday' is not a date"):
        call_command("audit", "export", "--since", "yesterday")
