"""File-drop inbound: .hl7 files in a watched folder, for senders that cannot speak MLLP.

A file holds one message or a batch (FHS/BHS ... BTS/FTS, or simply several MSH). Files are
taken oldest first, their messages in file order, each through the same ingest as MLLP.
A file whose messages were all applied (or were retransmissions) moves to processed/;
otherwise to failed/, with `<name>.reason.txt` beside it naming each message and what went
wrong. Lines that are not segments are reported in that file too, never glued to a message.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from django.conf import settings

from .choices import InboundStatus
from .ingest import Received, apply_journaled, ingest_batch
from .wire import HL7Error, decode_message, parse_ack, split_batch

log = logging.getLogger(__name__)
GOOD = (InboundStatus.APPLIED, InboundStatus.DUPLICATE, InboundStatus.RECEIVED)


def inbox_files(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    files = [p for p in inbox.iterdir() if p.is_file() and p.suffix.lower() == ".hl7"]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def poll_inbox(inbox: Path | None = None) -> int:
    """Process every waiting file; returns how many files were handled."""
    inbox = inbox or settings.HL7_INBOX_DIR
    files = inbox_files(inbox)
    for path in files:
        process_file(path)
    return len(files)


def process_file(path: Path) -> bool:
    raw = path.read_bytes()
    notes: list[str] = []
    try:
        decoded = decode_message(raw)
        batch = split_batch(decoded.text)
        messages = [text.encode(decoded.charset) for text in batch.messages]
        notes += [
            f"line {number}: not a segment, ignored: {line[:80]!r}"
            for number, line in batch.ignored_lines
        ]
    except HL7Error as error:
        messages, notes = [raw], []  # journal it as sent: ingest rejects it with the reason
        log.warning("%s: %s", path.name, error)
    if not messages:
        notes.append("no message (no MSH segment) in the file")
        messages = [raw]  # journaled as received, and rejected there with the reason
    outcomes = ingest_batch([Received(raw=m, channel="file", peer=path.name) for m in messages])
    accepted = [o.journal_id for o in outcomes if o.status == InboundStatus.RECEIVED]
    if accepted:
        apply_journaled(accepted)
    for number, outcome in enumerate(outcomes, start=1):
        if outcome.status not in GOOD:
            notes.append(
                f"message {number} (journal #{outcome.journal_id}): {outcome.status}: "
                f"{error_text(outcome.ack)}"
            )
    ok = bool(outcomes) and all(o.status in GOOD for o in outcomes)
    move(path, "processed" if ok else "failed", notes)
    return ok


def error_text(ack: str) -> str:
    try:
        return parse_ack(ack)[2]
    except HL7Error:
        return ack


def move(path: Path, folder: str, notes: list[str]) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # never overwrite an earlier file of the same name
        target = target_dir / f"{path.stem}.{os.getpid()}.{path.stat().st_mtime_ns}{path.suffix}"
    shutil.move(str(path), target)
    if notes:
        target.with_name(target.name + ".reason.txt").write_text("\n".join(notes) + "\n")
        log.warning("%s -> %s/: %s", path.name, folder, "; ".join(notes)[:500])
    return target
