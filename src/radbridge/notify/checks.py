"""Start-up checks of the notification configuration (Django system checks).

`radbridge serve` and `radbridge check` run them: a provider named but not configured, a
credential missing, a bad URL, region or quiet-hours setting is an error that stops the
start with a message naming the variable. The admin's delivery-rate page shows the same list.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .channels import SMS_PROVIDERS
from .config import ConfigurationError, parse_quiet_hours

REQUIRED = {
    "clicksend": (("NOTIFY_CLICKSEND_USERNAME", "RADBRIDGE_CLICKSEND_USERNAME"),
                  ("NOTIFY_CLICKSEND_API_KEY", "RADBRIDGE_CLICKSEND_API_KEY")),
    "twilio": (("NOTIFY_TWILIO_ACCOUNT_SID", "RADBRIDGE_TWILIO_ACCOUNT_SID"),
               ("NOTIFY_TWILIO_AUTH_TOKEN", "RADBRIDGE_TWILIO_AUTH_TOKEN"),
               ("NOTIFY_TWILIO_FROM", "RADBRIDGE_TWILIO_FROM")),
}
BASE_URLS = {"clicksend": ("NOTIFY_CLICKSEND_BASE_URL", "RADBRIDGE_CLICKSEND_BASE_URL"),
             "twilio": ("NOTIFY_TWILIO_BASE_URL", "RADBRIDGE_TWILIO_BASE_URL")}


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def sms_problems() -> list:
    provider = settings.NOTIFY_SMS_PROVIDER
    if provider not in SMS_PROVIDERS:
        return [Error(f"RADBRIDGE_SMS_PROVIDER={provider!r} is not a provider RadBridge knows",
                      hint=f"choose one of: {', '.join(SMS_PROVIDERS)}", id="notify.E001")]
    problems = []
    for setting, variable in REQUIRED.get(provider, ()):
        if not getattr(settings, setting):
            problems.append(Error(
                f"{variable} is not set, but RADBRIDGE_SMS_PROVIDER={provider}",
                hint=f"set {variable} from your {provider} account, or choose another provider",
                id="notify.E002"))
    if provider in BASE_URLS:
        setting, variable = BASE_URLS[provider]
        value = getattr(settings, setting)
        if not is_http_url(value):
            problems.append(Error(f"{variable}={value!r} is not an http(s) URL", id="notify.E003"))
    if provider == "log" and settings.PRODUCTION:
        problems.append(Warning(
            "RADBRIDGE_SMS_PROVIDER=log in production: SMS are written to the log, not sent",
            hint="set RADBRIDGE_SMS_PROVIDER=clicksend or twilio and its credentials",
            id="notify.W001"))
    return problems


def email_problems() -> list:
    problems = []
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend != "smtp" and settings.PRODUCTION:
        problems.append(Warning(
            f"emails use Django's {backend} backend in production: they are not sent",
            hint="set RADBRIDGE_EMAIL_URL=smtp://user:password@host:587?tls=1",
            id="notify.W002"))
    if "@" not in settings.DEFAULT_FROM_EMAIL:
        problems.append(Error(
            f"RADBRIDGE_DEFAULT_FROM_EMAIL={settings.DEFAULT_FROM_EMAIL!r} is not an address",
            hint="e.g. 'Springfield Imaging <results@springfield-imaging.example>'",
            id="notify.E004"))
    return problems


def general_problems() -> list:
    problems = []
    if settings.NOTIFY_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
        problems.append(Error(
            f"RADBRIDGE_PHONE_REGION={settings.NOTIFY_PHONE_REGION!r} is not a region code",
            hint="a two-letter country code such as US, GB, FR", id="notify.E005"))
    try:
        parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)
    except ConfigurationError as error:
        problems.append(Error(str(error), id="notify.E006"))
    try:
        ZoneInfo(settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(Error(f"RADBRIDGE_TIME_ZONE={settings.TIME_ZONE!r} is not a time zone",
                              hint="e.g. America/Chicago", id="notify.E007"))
    if not is_http_url(settings.PUBLIC_URL):
        problems.append(Error(
            f"RADBRIDGE_PUBLIC_URL={settings.PUBLIC_URL!r} is not an http(s) URL",
            hint="the address patients and providers reach RadBridge at", id="notify.E008"))
    if settings.NOTIFY_SEND_LEASE_SECONDS < 3 * settings.NOTIFY_SEND_TIMEOUT_SECONDS:
        problems.append(Warning(
            "RADBRIDGE_NOTIFY_SEND_LEASE is under three times RADBRIDGE_NOTIFY_SEND_TIMEOUT: a "
            "slow send may be taken for an interrupted one", id="notify.W003"))
    return problems


@register(Tags.compatibility, deploy=False)
def notification_configuration(app_configs=None, **kwargs) -> list:
    return sms_problems() + email_problems() + general_problems()
