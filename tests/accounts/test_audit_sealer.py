"""The sealer under concurrency: writers never wait for it, two sealers never fork the chain,
and the worker role runs it."""

import threading

import pytest
from django.db import connection, connections

from radbridge.accounts.audit_chain import seal_pending, verify_chain
from radbridge.core import audit, jobs
from radbridge.core.audit import Actor, acting_as
from radbridge.core.models import AuditEntry


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_two_sealers_give_one_intact_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: PostgreSQL (SQLite serializes them anyway)")
    errors = []

    def write(n: int):
        try:
            with acting_as(Actor(name=f"test:writer{n}")):
                for i in range(150):
                    audit.record("test.concurrent", "thing", i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    def seal():
        try:
            for _ in range(20):
                seal_pending(batch=50)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=seal) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    seal_pending()
    result = verify_chain()
    assert result.intact and result.checked == AuditEntry.objects.count() == 450
    seqs = sorted(AuditEntry.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 451))


@pytest.mark.django_db
def test_the_worker_runs_the_sealer(actor):
    audit.record("test.pending", "thing", 1)
    job = jobs._jobs["audit-sealer"]
    job.next_run = 0
    jobs.run_due_jobs()
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()
