"""Sealing and verifying the audit log's hash chain.

`record()` inserts entries unsealed, so no writer ever waits for "the last hash". The sealer
(a periodic job of the worker role, and the first step of `radbridge audit verify`) takes
the chain head's row lock, gives pending entries their places in id order and chains their
hashes. An entry committed late (by a slow transaction) simply gets a later place: the
chain's order is the order of sealing, which is what `seq` records.

`verify_chain` walks the chain by `seq` and names the first entry that was edited (its hash
no longer matches its content), deleted (a hole in `seq`), or relinked, and entries deleted
from the end (the head remembers how long the chain was).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from radbridge.core.models import AuditChainHead, AuditEntry

SEAL_BATCH = 2000


def chain_head_for_update() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1)
        except IntegrityError:
            pass  # another sealer created it first; the lock below waits for it
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def seal_pending(batch: int = SEAL_BATCH) -> int:
    """Chain every unsealed entry; returns how many were sealed."""
    sealed = 0
    while True:
        with transaction.atomic():
            head = chain_head_for_update()
            pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not pending:
                return sealed
            seq, previous = head.last_seq, head.last_hash
            for entry in pending:
                seq += 1
                entry.seq, entry.prev_hash = seq, previous
                entry.entry_hash = previous = entry.chain_hash(seq, previous)
            AuditEntry.objects.bulk_update(pending, ["seq", "prev_hash", "entry_hash"])
            head.last_seq, head.last_hash, head.sealed_at = seq, previous, timezone.now()
            head.save()
            sealed += len(pending)


@dataclass(frozen=True)
class Problem:
    kind: str  # "edited", "deleted", "relinked", "truncated"
    seq: int
    entry_id: int | None
    message: str


@dataclass(frozen=True)
class Verification:
    checked: int
    last_seq: int
    last_hash: str
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(progress: Callable[[int], None] | None = None) -> Verification:
    """Check every sealed entry in chain order; stop at the first problem."""
    expected, previous, previous_id, checked = 1, "", None, 0
    entries = AuditEntry.objects.filter(seq__isnull=False).order_by("seq")
    for entry in entries.iterator(chunk_size=2000):
        problem = check_entry(entry, expected, previous, previous_id)
        if problem is not None:
            return Verification(checked, expected - 1, previous, problem)
        previous, previous_id, expected = entry.entry_hash, entry.id, expected + 1
        checked += 1
        if progress is not None:
            progress(1)
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != previous):
        return Verification(
            checked,
            last_seq,
            previous,
            Problem(
                "truncated",
                last_seq + 1,
                None,
                f"the chain ends at entry #{last_seq} but was sealed up to #{head.last_seq}: "
                f"entries #{last_seq + 1} to #{head.last_seq} were deleted",
            ),
        )
    return Verification(checked, last_seq, previous, None)


def check_entry(entry: AuditEntry, expected: int, previous: str, previous_id) -> Problem | None:
    after = f"after audit entry id {previous_id}" if previous_id else "at the start"
    if entry.seq != expected:
        missing = (
            f"#{expected}" if entry.seq == expected + 1 else f"#{expected} to #{entry.seq - 1}"
        )
        return Problem(
            "deleted",
            expected,
            None,
            f"chain entry {missing} is missing ({after}, before audit entry id {entry.id}): "
            "it was deleted",
        )
    if entry.prev_hash != previous:
        return Problem(
            "relinked",
            entry.seq,
            entry.id,
            f"chain entry #{entry.seq} (audit entry id {entry.id}) does not link to the entry "
            f"before it: entry #{entry.seq - 1} was edited and re-hashed, or replaced",
        )
    if entry.chain_hash(entry.seq, entry.prev_hash) != entry.entry_hash:
        return Problem(
            "edited",
            entry.seq,
            entry.id,
            f"chain entry #{entry.seq} (audit entry id {entry.id}, {entry.action} by "
            f"{entry.actor}) was edited: its content no longer matches its hash",
        )
    return None
