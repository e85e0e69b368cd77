"""Sending planned deliveries: claim, send, record; retry with backoff; dead-letter.

The `notify-send` job claims due deliveries (a short transaction that marks them "sending"
with a lease; FOR UPDATE SKIP LOCKED where the database has it, so several workers share
the queue), sends them outside any transaction, then records each outcome with a
conditional update and an audit entry. Exactly once, as far as a provider lets us:

- a delivery is planned once (unique key) and claimed by one worker at a time;
- a send whose outcome is unknown (the worker died holding the lease, or the request left
  and no answer came) is marked `needs_lookup`; before sending it again we ask the provider
  whether it already has it (ClickSend history by our custom_string, Twilio's message list).
  Email cannot be asked: such an email is sent again, with the same Message-ID.

Temporary failures (5xx, 429, timeouts) retry with exponential backoff and jitter, never
sooner than the provider's Retry-After; permanent ones (other 4xx, refused numbers) and
the last allowed attempt go to the dead-letter state with the reason.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from radbridge.core import audit

from . import planner
from .channels import provider_for
from .channels.base import (
    Accepted,
    InDoubt,
    LookupUnavailable,
    Outcome,
    OutgoingMessage,
    Refused,
    Retry,
)
from .choices import WAITING, DeliveryStatus
from .models import Delivery

log = logging.getLogger(__name__)
ROUND_SECONDS = 5.0  # one job round sends for at most this long, then lets other jobs run
NOT_ATTEMPTED = Retry("not attempted this round: the lease was running out")


def send_due(limit: int | None = None) -> int:
    """Send what is due, batch after batch, for one round; returns how many were accepted."""
    limit = limit or settings.NOTIFY_BATCH_SIZE
    reclaim_interrupted()
    accepted, started = 0, time.monotonic()
    while time.monotonic() - started < ROUND_SECONDS:
        batch = claim(limit)
        if not batch:
            break
        accepted += send_batch(batch)
        if len(batch) < limit:
            break
    return accepted


def reclaim_interrupted(now: datetime | None = None) -> int:
    """Sends whose lease ran out (their worker died): retry them, asking the provider first."""
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now).update(
        status=DeliveryStatus.RETRYING, needs_lookup=True, next_attempt_at=now,
        reason="the send was interrupted; the provider is asked before sending again",
    )


def claim(limit: int) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(status__in=WAITING, next_attempt_at__lte=now).order_by(
            "-urgent", "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            claimed_until=now + timedelta(seconds=settings.NOTIFY_SEND_LEASE_SECONDS),
        )
    return list(Delivery.objects.filter(id__in=ids).select_related("event"))


def send_batch(batch: list[Delivery]) -> int:
    outcomes: dict[int, Outcome] = {}
    for channel in {d.channel for d in batch}:
        group = [d for d in batch if d.channel == channel]
        provider = provider_for(channel)
        try:
            outcomes.update(send_group(provider, group))
        finally:
            provider.close()
    return record(batch, outcomes)


def send_group(provider, group: list[Delivery]) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    to_send: list[OutgoingMessage] = []
    deadline = time.monotonic() + settings.NOTIFY_SEND_LEASE_SECONDS / 2
    for delivery in group:
        delivery.provider = provider.name
        if delivery.expires_at is not None and delivery.expires_at <= timezone.now():
            outcomes[delivery.id] = Refused("expired before it could be sent")
            continue
        try:
            message = outgoing(delivery)
        except LookupError as error:
            outcomes[delivery.id] = Refused(str(error))
            continue
        if delivery.needs_lookup:
            found = look_up(provider, message)
            if found is not None:
                outcomes[delivery.id] = found
                continue
            delivery.needs_lookup = False  # the provider does not have it: send it
        to_send.append(message)
    for start in range(0, len(to_send), provider.batch_size):
        if time.monotonic() > deadline:  # keep well inside the lease: release the rest
            for message in to_send[start:]:
                outcomes[message.delivery_id] = NOT_ATTEMPTED
            break
        outcomes.update(provider.send(to_send[start : start + provider.batch_size]))
    return outcomes


def look_up(provider, message: OutgoingMessage) -> Outcome | None:
    """Accepted when the provider already has the message; None when it must be sent."""
    if not provider.can_lookup:
        return None
    try:
        candidates = provider.lookup(message)
    except LookupUnavailable as error:
        return Retry(f"could not ask {provider.name} whether it has the message: {error}")
    # Twilio matches by number and text: an identical message of another delivery is not ours.
    owned = set(Delivery.objects.filter(provider_message_id__in=candidates)
                .exclude(id=message.delivery_id).values_list("provider_message_id", flat=True))
    for provider_id in candidates:
        if provider_id not in owned:
            return Accepted(provider_id, "found after an interrupted send")
    return None


def outgoing(delivery: Delivery) -> OutgoingMessage:
    subject, body, html = delivery.subject, delivery.body, delivery.html_body
    if delivery.redacted:
        rendered = planner.render_secret(delivery)
        subject, body, html = rendered.subject, rendered.body, rendered.html_body
    return OutgoingMessage(
        delivery_id=delivery.id, key=delivery.key, to=delivery.to_address, subject=subject,
        body=body, html_body=html, claimed_at=delivery.last_attempt_at or timezone.now(),
    )


def retry_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter (half fixed, half random), at least Retry-After."""
    ceiling = min(settings.NOTIFY_RETRY_CAP_SECONDS,
                  settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))
    delay = ceiling / 2 + random.uniform(0, ceiling / 2)
    return max(delay, retry_after or 0.0)


def record(batch: list[Delivery], outcomes: dict[int, Outcome]) -> int:
    accepted = 0
    now = timezone.now()
    with transaction.atomic():
        for delivery in batch:
            outcome = outcomes.get(delivery.id) or Retry("the provider gave no answer")
            accepted += record_one(delivery, outcome, now)
    return accepted


def record_one(delivery: Delivery, outcome: Outcome, now: datetime) -> bool:
    mine = Delivery.objects.filter(id=delivery.id, status=DeliveryStatus.SENDING)
    if isinstance(outcome, Accepted):
        changes = {"status": DeliveryStatus.SENT, "reason": "", "needs_lookup": False,
                   "provider_message_id": outcome.provider_message_id,
                   "provider_status": outcome.provider_status, "sent_at": now}
        if not mine.update(provider=delivery.provider, **changes):
            # A delivery receipt got here first: keep its status, add what we know.
            Delivery.objects.filter(id=delivery.id).update(
                provider_message_id=outcome.provider_message_id, sent_at=now, needs_lookup=False
            )
        audit_sent(delivery, "notify.sent", outcome.provider_message_id, DeliveryStatus.SENT)
        return True
    if outcome is NOT_ATTEMPTED:
        mine.update(status=DeliveryStatus.QUEUED, attempts=F("attempts") - 1)
        return False
    last_try = delivery.attempts >= settings.NOTIFY_MAX_ATTEMPTS
    if isinstance(outcome, Refused) or last_try:
        reason = outcome.reason
        if last_try and not isinstance(outcome, Refused):
            reason = f"gave up after {delivery.attempts} attempts; last: {outcome.reason}"
        mine.update(status=DeliveryStatus.DEAD, reason=reason[:2000],
                    provider=delivery.provider, needs_lookup=False)
        audit_sent(delivery, "notify.dead_letter", "", DeliveryStatus.DEAD, reason=reason)
        log.error("delivery %s (%s) dead: %s", delivery.id, delivery.key, reason)
        return False
    delay = retry_delay(delivery.attempts, getattr(outcome, "retry_after", None))
    mine.update(
        status=DeliveryStatus.RETRYING, reason=outcome.reason[:2000], provider=delivery.provider,
        next_attempt_at=now + timedelta(seconds=delay),
        needs_lookup=isinstance(outcome, InDoubt) or delivery.needs_lookup,
    )
    log.warning("delivery %s attempt %d failed, retry in %.1fs: %s", delivery.id,
                delivery.attempts, delay, outcome.reason)
    return False


def audit_sent(delivery: Delivery, action: str, provider_id: str, status: str, **detail):
    audit.record(
        action, "notify.delivery", delivery.id, patient_id=delivery.patient_id,
        kind=delivery.kind, channel=delivery.channel, provider=delivery.provider,
        template=delivery.template_id, provider_message_id=provider_id, status=status,
        recipient=delivery.recipient_name, to=mask(delivery.to_address),
        attempt=delivery.attempts, **detail,
    )


def mask(address: str) -> str:
    """Enough of an address to tell messages apart in the audit log, not to reuse it."""
    if "@" in address:
        name, domain = address.split("@", 1)
        return f"{name[:1]}***@{domain}"
    return f"{address[:3]}***{address[-2:]}" if len(address) > 5 else "***"
