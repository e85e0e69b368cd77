"""Channel providers: SMS (ClickSend, Twilio, log) and email (Django's email backend)."""

from __future__ import annotations

from django.conf import settings

from ..choices import Channel
from .clicksend import ClickSend
from .email import Email
from .log import LogChannel
from .twilio import Twilio

SMS_PROVIDERS = ("clicksend", "twilio", "log")


def sms_provider():
    name = settings.NOTIFY_SMS_PROVIDER
    timeout = settings.NOTIFY_SEND_TIMEOUT_SECONDS
    if name == "clicksend":
        return ClickSend(
            settings.NOTIFY_CLICKSEND_BASE_URL, settings.NOTIFY_CLICKSEND_USERNAME,
            settings.NOTIFY_CLICKSEND_API_KEY, settings.NOTIFY_CLICKSEND_FROM, timeout,
        )
    if name == "twilio":
        return Twilio(
            settings.NOTIFY_TWILIO_BASE_URL, settings.NOTIFY_TWILIO_ACCOUNT_SID,
            settings.NOTIFY_TWILIO_AUTH_TOKEN, settings.NOTIFY_TWILIO_FROM, timeout,
        )
    if name == "log":
        return LogChannel()
    raise ValueError(f"RADBRIDGE_SMS_PROVIDER={name!r}: choose one of {', '.join(SMS_PROVIDERS)}")


def provider_for(channel: str):
    return sms_provider() if channel == Channel.SMS else Email()
