"""Settings of the communication engine read into values: quiet hours, time zones, regions."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


class ConfigurationError(ValueError):
    """A notification setting that cannot be used; the message says which and how to fix it."""


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """'21:00-08:00' -> (21:00, 08:00); '' or 'off' -> None (no quiet hours)."""
    if text.strip().lower() in ("", "off", "none"):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ConfigurationError(
            f"RADBRIDGE_NOTIFY_QUIET_HOURS={text!r}: write it as HH:MM-HH:MM, e.g. 21:00-08:00"
        ) from None
    return start, end


def centre_quiet_hours() -> tuple[time, time] | None:
    return parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)


def zone(name: str) -> ZoneInfo:
    """The named time zone, or the centre's when the name is empty or unknown."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)
