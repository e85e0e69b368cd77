"""Email through Django's email backend (SMTP in production), with a text and an HTML part.

The Message-ID is derived from the delivery key, so a message sent twice after a crash in the
middle of an SMTP transaction carries the same ID (mail systems that drop duplicate IDs will
collapse it); SMTP offers no way to ask the server whether it already has a message.
"""

from __future__ import annotations

import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .base import Accepted, Outcome, OutgoingMessage, Refused, Retry


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "radbridge"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class Email:
    batch_size = 50
    can_lookup = False

    def __init__(self):
        self.name = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
        self.connection = get_connection(fail_silently=False)

    def close(self) -> None:
        try:
            self.connection.close()
        except (OSError, smtplib.SMTPException):
            pass  # the server went away first: nothing left to close

    def send(self, messages: list[OutgoingMessage]) -> dict[int, Outcome]:
        return {m.delivery_id: self.send_one(m) for m in messages}

    def send_one(self, message: OutgoingMessage) -> Outcome:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id(message.key)},
        )
        if message.html_body:
            email.attach_alternative(message.html_body, "text/html")
        try:
            self.connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            return Refused(f"the mail server refused {message.to}: {error.recipients}")
        except smtplib.SMTPResponseException as error:
            reason = f"the mail server answered {error.smtp_code}: {error.smtp_error!r}"
            self.close()
            return Refused(reason) if error.smtp_code >= 500 else Retry(reason)
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            return Retry(f"mail server unreachable: {type(error).__name__}: {error}")
        return Accepted(message_id(message.key), "accepted")

    def lookup(self, message: OutgoingMessage) -> list[str]:
        return []
