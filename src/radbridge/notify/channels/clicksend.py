"""SMS through ClickSend's REST API v3.

Send: POST {base}/v3/sms/send, HTTP basic auth (username, API key), JSON
{"messages": [{"source", "from", "to", "body", "custom_string"}, ...]}, up to 100 per request;
the answer's data.messages[] carry message_id and a per-message status ("SUCCESS" or why not).
Our delivery key travels as custom_string: delivery receipts carry it back, and after an
interrupted send we look for it in GET /v3/sms/history before sending again (ClickSend has
no idempotency key, so that lookup is what stands between a crash and a duplicate).
"""

from __future__ import annotations

import time

import httpx

from .base import (
    Accepted,
    LookupUnavailable,
    Outcome,
    OutgoingMessage,
    Refused,
    Retry,
    chunks,
    http_problem,
    transport_problem,
)

# Per-message statuses worth another try later; every other non-SUCCESS status is final.
TEMPORARY_STATUSES = {"INSUFFICIENT_CREDIT", "QUEUED", "RATE_LIMITED"}


class ClickSend:
    name = "clicksend"
    batch_size = 100
    can_lookup = True

    def __init__(self, base_url: str, username: str, api_key: str, sender: str, timeout: float):
        self.sender = sender
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"), auth=(username, api_key), timeout=timeout,
            headers={"User-Agent": "RadBridge"},
        )

    def close(self) -> None:
        self.client.close()

    def send(self, messages: list[OutgoingMessage]) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        for chunk in chunks(messages, self.batch_size):
            outcomes.update(self.send_chunk(chunk))
        return outcomes

    def send_chunk(self, chunk: list[OutgoingMessage]) -> dict[int, Outcome]:
        body = {"messages": [self.message_json(m) for m in chunk]}
        try:
            response = self.client.post("/v3/sms/send", json=body)
        except httpx.TransportError as error:
            outcome = transport_problem(error, "ClickSend")
            return {m.delivery_id: outcome for m in chunk}
        problem = http_problem(response, "ClickSend")
        if problem is not None:
            return {m.delivery_id: problem for m in chunk}
        try:
            answers = response.json()["data"]["messages"]
        except (ValueError, KeyError, TypeError):
            reason = f"ClickSend answered {response.status_code} without data.messages"
            return {m.delivery_id: Refused(reason) for m in chunk}
        by_key = {a.get("custom_string"): a for a in answers if isinstance(a, dict)}
        outcomes = {}
        for position, message in enumerate(chunk):
            answer = by_key.get(message.key)
            if answer is None and position < len(answers):
                answer = answers[position]
            outcomes[message.delivery_id] = self.outcome_of(answer)
        return outcomes

    def message_json(self, message: OutgoingMessage) -> dict:
        fields = {"source": "radbridge", "to": message.to, "body": message.body,
                  "custom_string": message.key}
        if self.sender:
            fields["from"] = self.sender
        return fields

    @staticmethod
    def outcome_of(answer: dict | None) -> Outcome:
        if not answer:
            return Refused("ClickSend's answer did not mention this message")
        status = str(answer.get("status", ""))
        if status == "SUCCESS" and answer.get("message_id"):
            return Accepted(str(answer["message_id"]), status)
        if status in TEMPORARY_STATUSES:
            return Retry(f"ClickSend: {status}")
        return Refused(f"ClickSend refused the message: {status or 'no status'}")

    def lookup(self, message: OutgoingMessage) -> list[str]:
        """The message_id ClickSend gave our key since the attempt began (or none)."""
        params = {
            "date_from": int(message.claimed_at.timestamp()) - 60,
            "date_to": int(time.time()) + 60,
            "limit": 100,
            "page": 1,
        }
        while True:
            try:
                response = self.client.get("/v3/sms/history", params=params)
            except httpx.TransportError as error:
                raise LookupUnavailable(f"ClickSend history: {error}") from error
            if not response.is_success:
                raise LookupUnavailable(f"ClickSend history answered {response.status_code}")
            page = response.json().get("data") or {}
            for row in page.get("data") or []:
                if row.get("custom_string") == message.key:
                    return [str(row.get("message_id"))]
            if int(page.get("current_page") or 1) >= int(page.get("last_page") or 1):
                return []
            params["page"] += 1
