"""SMS through Twilio's Programmable Messaging REST API (2010-04-01).

Send: POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From (or
MessagingServiceSid for an MG... sender), Body and StatusCallback, HTTP basic auth (Account
SID, Auth Token); 201 with JSON `sid` and `status`. Errors come as JSON {code, message}.
The StatusCallback URL names our delivery, so status callbacks (signed with
X-Twilio-Signature, checked in `webhooks`) find it even before we recorded the sid.
Twilio's Messages API has no idempotency key: after an interrupted send we list the
messages to that number and look for ours (same body, created since the attempt began).
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx

from radbridge.core import links

from .base import (
    Accepted,
    LookupUnavailable,
    Outcome,
    OutgoingMessage,
    Refused,
    Retry,
    http_problem,
    transport_problem,
)


def status_callback_path(delivery_id: int) -> str:
    return f"/notify/webhooks/twilio/{delivery_id}"


class Twilio:
    name = "twilio"
    batch_size = 1
    can_lookup = True

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str,
                 timeout: float):
        self.account_sid = account_sid
        self.sender = sender
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), auth=(account_sid, auth_token), timeout=timeout,
            headers={"User-Agent": "RadBridge"},
        )

    @property
    def messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def close(self) -> None:
        self.client.close()

    def send(self, messages: list[OutgoingMessage]) -> dict[int, Outcome]:
        return {m.delivery_id: self.send_one(m) for m in messages}

    def send_one(self, message: OutgoingMessage) -> Outcome:
        sender_field = "MessagingServiceSid" if self.sender.startswith("MG") else "From"
        form = {
            "To": message.to,
            sender_field: self.sender,
            "Body": message.body,
            "StatusCallback": links.portal_url(status_callback_path(message.delivery_id)),
        }
        try:
            response = self.client.post(self.messages_path, data=form)
        except httpx.TransportError as error:
            return transport_problem(error, "Twilio")
        problem = http_problem(response, "Twilio")
        if problem is not None:
            return self.explain(problem, response)
        try:
            answer = response.json()
            return Accepted(str(answer["sid"]), str(answer.get("status", "")))
        except (ValueError, KeyError, TypeError):
            return Refused(f"Twilio answered {response.status_code} without a message sid")

    @staticmethod
    def explain(problem: Outcome, response: httpx.Response) -> Outcome:
        """Twilio's own error code and message, which say what to fix."""
        try:
            error = response.json()
            text = f"Twilio error {error.get('code')}: {error.get('message')}"
        except ValueError:
            return problem
        if isinstance(problem, Retry):
            return Retry(f"{text} (HTTP {response.status_code})", problem.retry_after)
        return Refused(f"{text} (HTTP {response.status_code})")

    def lookup(self, message: OutgoingMessage) -> list[str]:
        """Sids of messages to that number with our body, created since the attempt began
        (newest first); the caller skips those another delivery already owns."""
        since = message.claimed_at - timedelta(seconds=60)
        found = []
        try:
            response = self.client.get(self.messages_path,
                                       params={"To": message.to, "PageSize": 100})
        except httpx.TransportError as error:
            raise LookupUnavailable(f"Twilio message list: {error}") from error
        if not response.is_success:
            raise LookupUnavailable(f"Twilio message list answered {response.status_code}")
        for row in response.json().get("messages") or []:
            created = row.get("date_created")
            try:
                recent = created is not None and parsedate_to_datetime(created) >= since
            except (TypeError, ValueError):
                recent = False
            if recent and row.get("body") == message.body:
                found.append(str(row.get("sid")))
        return found
