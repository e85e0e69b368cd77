"""The log channel, for the demo and for trying templates: messages are written to the log."""

from __future__ import annotations

import logging

from .base import Accepted, Outcome, OutgoingMessage

log = logging.getLogger("radbridge.notify.sms")


class LogChannel:
    name = "log"
    batch_size = 100
    can_lookup = False

    def close(self) -> None:
        pass

    def send(self, messages: list[OutgoingMessage]) -> dict[int, Outcome]:
        for message in messages:
            log.info("SMS to %s: %s", message.to, message.body)
        return {m.delivery_id: Accepted(f"log-{m.delivery_id}", "logged") for m in messages}

    def lookup(self, message: OutgoingMessage) -> list[str]:
        return []
