"""What every channel provider speaks: messages in, one outcome per message out.

A provider sends a batch of messages and answers, per delivery ID, one of: Accepted (with
the provider's message ID), Retry (a temporary failure: 5xx, timeout before the request
left, 429 with its Retry-After), Refused (the provider will never take it: a 4xx, a bad
number) or InDoubt (the request left but no answer came: the provider may have it). Before
an in-doubt message is sent again, `lookup` asks the provider whether it has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx


@dataclass(frozen=True)
class OutgoingMessage:
    delivery_id: int
    key: str
    to: str
    subject: str
    body: str
    html_body: str
    claimed_at: datetime  # when this attempt began (lookups search from there)


@dataclass(frozen=True)
class Accepted:
    provider_message_id: str
    provider_status: str = ""


@dataclass(frozen=True)
class Retry:
    reason: str
    retry_after: float | None = None


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class InDoubt:
    reason: str


Outcome = Accepted | Retry | Refused | InDoubt


class LookupUnavailable(RuntimeError):
    """The provider cannot be asked now (down, or it has no such API)."""


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds, from either of its forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def http_problem(response: httpx.Response, provider: str) -> Outcome | None:
    """None for a 2xx; otherwise Retry for 408/429/5xx and Refused for other 4xx."""
    if response.is_success:
        return None
    detail = response.text[:300].strip()
    reason = f"{provider} answered HTTP {response.status_code}: {detail}"
    if response.status_code in (408, 429) or response.status_code >= 500:
        return Retry(reason, retry_after_seconds(response.headers.get("Retry-After")))
    return Refused(reason)


def transport_problem(error: httpx.TransportError, provider: str) -> Outcome:
    """Nothing left (connect failed): retry. Sent but no answer: in doubt."""
    reason = f"{provider}: {type(error).__name__}: {error or 'no detail'}"
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return Retry(reason)
    return InDoubt(reason)


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
