"""Audit log cost: record() (one INSERT, sealed later) against chaining inline at write time
(lock the chain head, hash, insert, move the head: what every writer would pay without the
sealer), then the sealer's and `audit verify`'s throughput. Same run, same database.

    .venv/bin/python bench/audit_chain.py [--entries 5000] [--pg-url postgres://...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scratch import scratch_radbridge  # noqa: E402


def inline_chained_record(action: str) -> None:
    """The design the sealer avoids: every writer serializes on the chain head."""
    from django.db import transaction

    from radbridge.accounts.audit_chain import chain_head_for_update
    from radbridge.core.audit import current_actor
    from radbridge.core.models import AuditEntry

    actor = current_actor()
    with transaction.atomic():
        head = chain_head_for_update()
        entry = AuditEntry.objects.create(actor=actor.name, action=action, object_type="bench")
        seq = head.last_seq + 1
        entry_hash = entry.chain_hash(seq, head.last_hash)
        AuditEntry.objects.filter(pk=entry.pk).update(
            seq=seq, prev_hash=head.last_hash, entry_hash=entry_hash
        )
        head.last_seq, head.last_hash = seq, entry_hash
        head.save()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--pg-url", help="PostgreSQL server to create a scratch database on")
    args = parser.parse_args()
    with scratch_radbridge("audit", args.pg_url):
        run(args)


def run(args) -> None:
    from django.db import connection

    from radbridge.accounts.audit_chain import seal_pending, verify_chain
    from radbridge.core import audit
    from radbridge.core.audit import Actor, acting_as

    n = args.entries
    with acting_as(Actor(name="bench")):
        start = time.perf_counter()
        for i in range(n):
            audit.record("bench.read", "thing", i, patient_id=i)
        deferred = time.perf_counter() - start
        start = time.perf_counter()
        seal_pending()
        sealing = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(n):
            inline_chained_record("bench.inline")
        inline = time.perf_counter() - start
        start = time.perf_counter()
        result = verify_chain()
        verifying = time.perf_counter() - start
    assert result.intact and result.checked == 2 * n
    print(f"database: {connection.vendor}, {n} entries each, one writer, autocommit")
    print(f"  record() then sealed later : {rate(n, deferred)}")
    print(f"  chained inline at write    : {rate(n, inline)}"
          f"  (record() is {inline / deferred:.1f}x faster for the writer)")
    print(f"  sealer                      : {rate(n, sealing)}")
    print(f"  audit verify                : {rate(2 * n, verifying)}")


if __name__ == "__main__":
    sys.exit(main())
