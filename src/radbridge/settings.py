"""Django settings, read once from environment variables (12-factor).

Every variable has a default that suits the embedded mode: SQLite in WAL mode and
local files under RADBRIDGE_HOME. Production mode (RADBRIDGE_PRODUCTION=1) refuses to
start without a real secret key. See the README's Configuration section.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
RADBRIDGE_HOME = Path(env_str("RADBRIDGE_HOME", "var")).resolve()
PRODUCTION = env_bool("RADBRIDGE_PRODUCTION")

SECRET_KEY = env_str("RADBRIDGE_SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "RADBRIDGE_SECRET_KEY is not set: production mode needs a long random secret "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    SECRET_KEY = "embedded-mode-not-secret-do-not-use-in-production"
DEBUG = env_bool("RADBRIDGE_DEBUG")
ALLOWED_HOSTS = env_list("RADBRIDGE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

BIND_ADDRESS = env_str("RADBRIDGE_BIND", "127.0.0.1")
HTTP_PORT = env_int("RADBRIDGE_HTTP_PORT", 8000)
MLLP_PORT = env_int("RADBRIDGE_MLLP_PORT", 2575)
DICOM_PORT = env_int("RADBRIDGE_DICOM_PORT", 11112)
AE_TITLE = env_str("RADBRIDGE_AE_TITLE", "RADBRIDGE")

# HL7 v2 listener. Allowed senders are addresses or networks (CIDR); empty allows all.
HL7_ALLOWED_SENDERS = env_list("RADBRIDGE_HL7_ALLOWED_SENDERS")
# Senders (MSH-3 sending application, or "*") acknowledged as soon as the message is
# journaled ("accept mode"); everyone else is acknowledged after the message is applied.
HL7_ACCEPT_MODE_SENDERS = env_list("RADBRIDGE_HL7_ACCEPT_MODE_SENDERS")
HL7_MAX_MESSAGE_BYTES = env_int("RADBRIDGE_HL7_MAX_MESSAGE_BYTES", 10 * 1024 * 1024)
HL7_IDLE_TIMEOUT_SECONDS = env_int("RADBRIDGE_HL7_IDLE_TIMEOUT", 300)
HL7_FRAME_TIMEOUT_SECONDS = env_int("RADBRIDGE_HL7_FRAME_TIMEOUT", 30)
HL7_MAX_CONNECTIONS = env_int("RADBRIDGE_HL7_MAX_CONNECTIONS", 200)
HL7_TLS_CERT = env_str("RADBRIDGE_HL7_TLS_CERT")
HL7_TLS_KEY = env_str("RADBRIDGE_HL7_TLS_KEY")
HL7_TLS_CLIENT_CA = env_str("RADBRIDGE_HL7_TLS_CLIENT_CA")
HL7_INBOX_DIR = Path(env_str("RADBRIDGE_HL7_INBOX", str(RADBRIDGE_HOME / "inbox" / "hl7")))
HL7_JOURNAL_RETENTION_DAYS = env_int("RADBRIDGE_HL7_JOURNAL_RETENTION_DAYS", 365)
# Where outbound HL7 (orders, appointments) goes: host:port of the RIS's MLLP listener.
HL7_OUTBOUND_TARGET = env_str("RADBRIDGE_HL7_OUTBOUND_TARGET")
HL7_OUTBOUND_MAX_ATTEMPTS = env_int("RADBRIDGE_HL7_OUTBOUND_MAX_ATTEMPTS", 10)
HL7_SENDING_APPLICATION = env_str("RADBRIDGE_HL7_SENDING_APPLICATION", "RADBRIDGE")
HL7_SENDING_FACILITY = env_str("RADBRIDGE_HL7_SENDING_FACILITY", "")

# DICOM (imaging app). Allowed calling AE titles and addresses (or CIDR networks): empty
# allows all. The receive PDU size is what we offer senders; 16 KB (the usual default)
# costs throughput, so we offer more. A study is "available" after this many quiet seconds.
DICOM_ALLOWED_AE_TITLES = env_list("RADBRIDGE_DICOM_ALLOWED_AE_TITLES")
DICOM_ALLOWED_ADDRESSES = env_list("RADBRIDGE_DICOM_ALLOWED_ADDRESSES")
DICOM_MAX_PDU_BYTES = env_int("RADBRIDGE_DICOM_MAX_PDU", 4 * 1024 * 1024)
DICOM_MAX_ASSOCIATIONS = env_int("RADBRIDGE_DICOM_MAX_ASSOCIATIONS", 20)
DICOM_NETWORK_TIMEOUT_SECONDS = env_int("RADBRIDGE_DICOM_NETWORK_TIMEOUT", 60)
DICOM_STUDY_QUIET_SECONDS = env_int("RADBRIDGE_DICOM_STUDY_QUIET_SECONDS", 30)
DICOM_STORAGE_DIR = Path(env_str("RADBRIDGE_DICOM_STORAGE", str(RADBRIDGE_HOME / "dicom")))
DICOMWEB_MAX_UPLOAD_BYTES = env_int("RADBRIDGE_DICOMWEB_MAX_UPLOAD_BYTES", 1024 * 1024 * 1024)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "radbridge.core",
    "radbridge.clinical",
    "radbridge.hl7",
    "radbridge.imaging",
    "radbridge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "radbridge.core.middleware.AuditActorMiddleware",
]

ROOT_URLCONF = "radbridge.urls"
ASGI_APPLICATION = "radbridge.asgi.application"
WSGI_APPLICATION = "radbridge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{RADBRIDGE_HOME / 'radbridge.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work beside the one writer; synchronous=FULL fsyncs every commit,
        # which "persist before acknowledge" needs; IMMEDIATE avoids upgrade deadlocks.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;"
            " PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # A file, not memory: the listener's writer thread must see what the tests wrote.
    DATABASES["default"]["TEST"] = {"NAME": str(RADBRIDGE_HOME / "test.sqlite3")}
    RADBRIDGE_HOME.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("RADBRIDGE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Received DICOM files and their renderings; another backend (object storage) can
    # replace it here without changes in the callers.
    "dicom": {
        "BACKEND": "radbridge.imaging.storage.DurableFileSystemStorage",
        "OPTIONS": {"location": DICOM_STORAGE_DIR},
    },
}

STATIC_URL = "static/"
STATIC_ROOT = RADBRIDGE_HOME / "static"
MEDIA_ROOT = RADBRIDGE_HOME / "media"
# Assets are served by RadBridge itself (no CDN, no separate web server needed).
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("RADBRIDGE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pynetdicom": {"level": "WARNING"},  # it logs every association at INFO
    },
}
