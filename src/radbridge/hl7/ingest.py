"""From received bytes to a journal row, an applied change and an acknowledgment.

Every channel (MLLP listener, file drop, replay) goes through `ingest_batch`: it decodes and
parses each message, recognises retransmissions, journals it, and, unless its sender is in
accept mode, applies it in a savepoint of the same transaction. The caller commits, then
sends the ACKs: so a message is on disk before anyone is told it was received, and an AA
always means "applied". Accept-mode messages are applied after the commit, in order, with
`apply_one`; a crash in between leaves them "received", and `apply_journaled` picks them up
at the next start.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from radbridge.clinical.errors import ClinicalRuleError
from radbridge.core.audit import Actor, acting_as

from . import journal_sql
from .choices import InboundStatus
from .handlers import HANDLERS
from .handlers.fields import collected_warnings
from .journal_sql import JournalRow
from .models import InboundMessage
from .wire import (
    AckError,
    HL7Error,
    Message,
    build_ack,
    decode_message,
    is_enhanced_mode,
    parse_message,
)

log = logging.getLogger(__name__)
UNSUPPORTED_MESSAGE_TYPE, UNSUPPORTED_EVENT = "200", "201"
APPLIED_OR_PENDING = (InboundStatus.APPLIED, InboundStatus.RECEIVED, InboundStatus.DUPLICATE)


@dataclass
class Received:
    raw: bytes
    channel: str  # mllp, file
    peer: str
    received_at: datetime = field(default_factory=timezone.now)


@dataclass
class Outcome:
    ack: str
    ack_code: str
    status: str
    journal_id: int | None = None
    message: Message | None = None  # kept for accept-mode apply after commit


def ack_codes(message: Message | None) -> tuple[str, str, str]:
    """(accept, error, reject) codes: enhanced mode when MSH-15/16 are valued."""
    return (
        ("CA", "CE", "CR")
        if message is not None and is_enhanced_mode(message)
        else ("AA", "AE", "AR")
    )


def in_accept_mode(message: Message) -> bool:
    senders = settings.HL7_ACCEPT_MODE_SENDERS
    return "*" in senders or message.sending_application in senders


def sender_key(message: Message) -> str:
    """Who sent it, as retransmissions are recognised: MSH-3 sending application|MSH-4."""
    return f"{message.sending_application}|{message.sending_facility}"


def sender_actor(message: Message | None, peer: str) -> Actor:
    who = sender_key(message) if message else "?"
    return Actor(name=f"hl7:{who}", role="interface", source_address=peer)


def error_ack(message: Message | None, code: str, error: HL7Error) -> str:
    return build_ack(
        message,
        code,
        str(error),  # with its location, so the sender's log says where
        [AckError(error.code, error.reason, error.segment, error.segment_index, error.field)],
        sending_application=settings.HL7_SENDING_APPLICATION,
        sending_facility=settings.HL7_SENDING_FACILITY,
    )


def plain_ack(message: Message, code: str, text: str = "") -> str:
    return build_ack(
        message,
        code,
        text,
        sending_application=settings.HL7_SENDING_APPLICATION,
        sending_facility=settings.HL7_SENDING_FACILITY,
    )


def header_for_answer(raw: bytes) -> Message | None:
    """A best-effort parse of unreadable input, only to address the rejecting ACK."""
    try:
        return parse_message(raw.decode("latin-1").lstrip("\ufeff\x00 \r\n"))
    except HL7Error:
        return None


@dataclass
class Applied:
    status: str
    ack: str
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def apply(message: Message, peer: str) -> Applied:
    """Run the message's handler in a savepoint; the outcome says how it went."""
    accept, error_code, _ = ack_codes(message)
    handler = HANDLERS[(message.message_code, message.trigger_event)]
    collected_warnings()  # start clean: a failed message before may have left some
    try:
        with transaction.atomic(), acting_as(sender_actor(message, peer)):
            summary = handler(message)
    except HL7Error as error:
        return Applied(InboundStatus.FAILED, error_ack(message, error_code, error), str(error))
    except ClinicalRuleError as error:
        wrapped = HL7Error(str(error), code="207")
        return Applied(InboundStatus.FAILED, error_ack(message, error_code, wrapped), str(error))
    except Exception as error:  # noqa: BLE001 - any bug must AE this message, not kill the channel
        log.exception("applying %s %s failed", message.message_type, message.control_id)
        reason = (
            f"internal error applying {message.message_type} {message.control_id}: "
            f"{type(error).__name__}: {error}. The message is kept in the journal; "
            "replay it once the cause is fixed"
        )
        return Applied(
            InboundStatus.FAILED, error_ack(message, error_code, HL7Error(reason)), reason
        )
    notes = collected_warnings()
    text = f"{summary} (warnings: {'; '.join(notes)})" if notes else summary
    return Applied(InboundStatus.APPLIED, plain_ack(message, accept, text[:300]), "", notes)


@dataclass
class Reading:
    """A received message, decoded and parsed (or rejected), not yet decided on."""

    row: JournalRow
    message: Message | None
    started: float


def read(item: Received) -> Reading:
    started = time.perf_counter()
    row = JournalRow(
        received_at=item.received_at,
        channel=item.channel,
        peer=item.peer[:300],
        raw=item.raw,
        content_hash=hashlib.sha256(item.raw).hexdigest(),
    )
    message = None
    try:
        decoded = decode_message(item.raw)
        message = parse_message(decoded.text)
        row.warnings = "\n".join(decoded.warnings)
    except HL7Error as error:
        message = header_for_answer(item.raw)
        row.status, row.error = InboundStatus.REJECTED, str(error)
        row.ack = error_ack(message, ack_codes(message)[2], error)
    if message is not None:
        row.sender_key = sender_key(message)[:200]
        row.message_type = message.message_type[:30]
        row.control_id = message.control_id[:200]
    return Reading(row, message, started)


def decide(reading: Reading, known: dict) -> Outcome:
    """Duplicate, rejected, accepted or applied: `known` maps (sender key, control ID) to the
    newest journal row (a `Previous`, or a row earlier in this batch) and is kept current."""
    row, message = reading.row, reading.message
    if row.status:  # rejected while reading
        return finish(reading)
    accept, _, reject = ack_codes(message)
    key = (row.sender_key, row.control_id)
    previous = known.get(key)
    if (
        previous is not None
        and previous.content_hash == row.content_hash
        and (previous.status in APPLIED_OR_PENDING)
    ):
        row.status = InboundStatus.DUPLICATE
        if previous.id is None:  # the original is earlier in this same batch
            row.duplicate_in_batch = previous
        else:
            row.duplicate_of_id = previous.duplicate_of_id or previous.id
        row.ack = previous.ack or plain_ack(message, accept)
        return finish(reading)
    row.control_id_reused = previous is not None and previous.content_hash != row.content_hash
    if (message.message_code, message.trigger_event) not in HANDLERS:
        known_code = any(code == message.message_code for code, _ in HANDLERS)
        error = HL7Error(
            f"RadBridge does not accept {message.message_type or 'messages without MSH-9'}; "
            "it applies ADT A01/A04/A05/A08/A28/A31/A40/A47, ORM^O01, OMI^O23, OMG^O19, "
            "ORU^R01, SIU^S12-S26 and MDM^T02/T10",
            segment="MSH",
            segment_index=1,
            field=9,
            code=UNSUPPORTED_EVENT if known_code else UNSUPPORTED_MESSAGE_TYPE,
        )
        row.status, row.error, row.ack = (
            InboundStatus.REJECTED,
            str(error),
            error_ack(message, reject, error),
        )
    elif in_accept_mode(message):
        row.status, row.ack = InboundStatus.RECEIVED, plain_ack(message, accept)
    else:
        applied = apply(message, row.peer)
        row.status, row.ack, row.error = applied.status, applied.ack, applied.error
        row.warnings = "\n".join(filter(None, [row.warnings, *applied.warnings]))
        row.applied_at = timezone.now() if row.status == InboundStatus.APPLIED else None
    known[key] = row
    return finish(reading)


def finish(reading: Reading) -> Outcome:
    row = reading.row
    row.ack_code = ack_code_of(row.ack)
    row.processing_ms = round((time.perf_counter() - reading.started) * 1000, 3)
    return Outcome(row.ack, row.ack_code, row.status, None, reading.message)


def ack_code_of(ack: str) -> str:
    start = ack.find("\rMSA")  # MSA-1 right after "MSA" and the field separator
    return ack[start + 5 : start + 7] if start >= 0 else ""


def ingest_batch(items: list[Received]) -> list[Outcome]:
    """Journal (and, outside accept mode, apply) messages in one transaction, in order.

    The batch costs one retransmission lookup and one journal INSERT at the end of the
    transaction: same commit, far fewer round trips to the database.
    """
    readings = [read(item) for item in items]
    with transaction.atomic():
        keys = {(r.row.sender_key, r.row.control_id) for r in readings if not r.row.status}
        known: dict = journal_sql.latest_of(keys) if keys else {}
        outcomes = [decide(reading, known) for reading in readings]
        rows = [reading.row for reading in readings]
        journal_sql.insert_many(rows)
        for row in rows:
            if row.duplicate_in_batch is not None:
                original = row.duplicate_in_batch
                journal_sql.set_duplicate_of(row.id, original.duplicate_of_id or original.id)
    for outcome, row in zip(outcomes, rows, strict=True):
        outcome.journal_id = row.id
    return outcomes


def apply_journaled(journal_ids: list[int] | None = None) -> int:
    """Apply accept-mode messages still "received", oldest first; returns how many ran."""
    pending = InboundMessage.objects.filter(status=InboundStatus.RECEIVED).order_by("id")
    if journal_ids is not None:
        pending = pending.filter(id__in=journal_ids)
    count = 0
    for journal_id in pending.values_list("id", flat=True):
        count += apply_one(journal_id)
    return count


def apply_one(journal_id: int, message: Message | None = None, replay: bool = False) -> bool:
    with transaction.atomic():
        row = InboundMessage.objects.select_for_update().filter(id=journal_id).first()
        wanted = (
            (InboundStatus.FAILED, InboundStatus.REJECTED) if replay else (InboundStatus.RECEIVED,)
        )
        if row is None or row.status not in wanted:
            return False  # another worker got there first
        started = time.perf_counter()
        if message is None:
            try:
                message = parse_message(decode_message(bytes(row.raw)).text)
            except HL7Error as error:
                row.status, row.error = InboundStatus.REJECTED, str(error)
                row.attempts += 1
                row.save()
                return True
        if (message.message_code, message.trigger_event) not in HANDLERS:
            row.attempts += 1
            row.save()
            return True
        applied = apply(message, row.peer)
        row.status, row.error = applied.status, applied.error
        row.warnings = "\n".join(filter(None, [row.warnings, *applied.warnings]))
        if not replay:
            row.ack, row.ack_code = applied.ack, ack_code_of(applied.ack)
        row.applied_at = timezone.now() if applied.status == InboundStatus.APPLIED else None
        row.attempts += 1
        row.processing_ms = round((time.perf_counter() - started) * 1000, 3)
        row.save()
    return True
