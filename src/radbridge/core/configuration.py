"""The running configuration, for the read-only settings page: RadBridge's own settings as
read from the environment at start, with secrets never shown (only whether they are set)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

OUR_PREFIXES = ("RADBRIDGE_", "HL7_", "DICOM_", "NOTIFY_", "HTTP_", "MLLP_", "AE_", "BIND_",
                "FHIR_", "PORTAL_", "IMAGING_", "AUDIT_", "ACCOUNTS_")
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "SID", "CREDENTIAL", "PEPPER")
HIDDEN = "•••• (set)"


@dataclass(frozen=True)
class Setting:
    name: str
    value: str
    from_environment: bool


def is_secret(name: str) -> bool:
    return any(word in name.upper() for word in SECRET_WORDS)


def without_password(url: str) -> str:
    """The URL with its password replaced by ****; anything unparseable is hidden whole."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return HIDDEN
    netloc = f"{parts.username}:****@{parts.hostname or ''}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def shown(name: str, value: object) -> str:
    if is_secret(name):
        return HIDDEN if value else "not set"
    text = str(value)
    return without_password(text) if "://" in text else text  # DATABASE_URL, EMAIL_URL


def running_settings() -> list[Setting]:
    """RadBridge's settings (by name), and which environment variables were given."""
    given = {name for name in os.environ if name.startswith("RADBRIDGE_")}
    rows = [
        Setting(name, shown(name, getattr(settings, name)), f"RADBRIDGE_{name}" in given)
        for name in sorted(dir(settings))
        if name.isupper() and name.startswith(OUR_PREFIXES)
    ]
    database = settings.DATABASES["default"]
    rows.append(Setting("DATABASE", f"{database['ENGINE'].rsplit('.', 1)[-1]} "
                        f"{database.get('NAME', '')} {database.get('HOST', '') or ''}".strip(),
                        "DATABASE_URL" in os.environ))
    rows.append(Setting("TIME_ZONE", settings.TIME_ZONE, "RADBRIDGE_TIME_ZONE" in given))
    rows.append(Setting("DEBUG", str(settings.DEBUG), False))
    return rows


def environment_variables() -> list[Setting]:
    """The RADBRIDGE_* variables of this process's environment, secrets hidden."""
    return [Setting(name, shown(name, value), True)
            for name, value in sorted(os.environ.items())
            if name.startswith("RADBRIDGE_") or name == "DATABASE_URL"]
