"""Django settings, read once from environment variables (12-factor).

Every variable has a default that suits the embedded mode: SQLite in WAL mode and
local files under RADBRIDGE_HOME. Production mode (RADBRIDGE_PRODUCTION=1) refuses to
start without a real secret key. See the README's Configuration section.
"""

import os
from datetime import timedelta
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
# Web processes on this machine (they share the port): 1 in the embedded mode, about one
# per core for a web machine at scale.
WEB_WORKERS = max(1, env_int("RADBRIDGE_WEB_WORKERS", 1))
WEB_THREADS = max(1, env_int("RADBRIDGE_WEB_THREADS", 4))
MLLP_PORT = env_int("RADBRIDGE_MLLP_PORT", 2575)
DICOM_PORT = env_int("RADBRIDGE_DICOM_PORT", 11112)
AE_TITLE = env_str("RADBRIDGE_AE_TITLE", "RADBRIDGE")
# Where people and providers reach this installation: links in invitations, messages and
# password-reset mails, provider status-callback URLs.
PUBLIC_URL = env_str("RADBRIDGE_PUBLIC_URL", f"http://localhost:{HTTP_PORT}").rstrip("/")

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

# FHIR API (see README "FHIR R4 API"). Authority systems: "MERCY=urn:oid:1.2.3,ADT1=https://x".
FHIR_BASE_URL = env_str("RADBRIDGE_FHIR_BASE_URL").rstrip("/")
FHIR_AUTHORITY_SYSTEMS = dict(
    item.split("=", 1) for item in env_list("RADBRIDGE_FHIR_AUTHORITY_SYSTEMS") if "=" in item
)
FHIR_ACCESSION_SYSTEM = env_str("RADBRIDGE_FHIR_ACCESSION_SYSTEM", "urn:radbridge:accession")
FHIR_WEBHOOK_MAX_ATTEMPTS = env_int("RADBRIDGE_FHIR_WEBHOOK_MAX_ATTEMPTS", 8)
FHIR_WEBHOOK_TIMEOUT = env_int("RADBRIDGE_FHIR_WEBHOOK_TIMEOUT", 10)

# DICOM (imaging app). Allowed calling AE titles and addresses (or CIDR networks): empty
# allows all. The receive PDU size is what we offer senders; 16 KB (the usual default)
# costs throughput, so we offer more. A study is "available" after this many quiet seconds.
DICOM_ALLOWED_AE_TITLES = env_list("RADBRIDGE_DICOM_ALLOWED_AE_TITLES")
DICOM_ALLOWED_ADDRESSES = env_list("RADBRIDGE_DICOM_ALLOWED_ADDRESSES")
DICOM_MAX_PDU_BYTES = env_int("RADBRIDGE_DICOM_MAX_PDU", 4 * 1024 * 1024)
DICOM_MAX_ASSOCIATIONS = env_int("RADBRIDGE_DICOM_MAX_ASSOCIATIONS", 20)
DICOM_WORKERS = max(1, env_int("RADBRIDGE_DICOM_WORKERS", 1))
DICOM_NETWORK_TIMEOUT_SECONDS = env_int("RADBRIDGE_DICOM_NETWORK_TIMEOUT", 60)
DICOM_STUDY_QUIET_SECONDS = env_int("RADBRIDGE_DICOM_STUDY_QUIET_SECONDS", 30)
# Reject associations whose called AE title is not RADBRIDGE_AE_TITLE (off: many senders
# are configured with another). The association log keeps this many days.
DICOM_CHECK_CALLED_AE_TITLE = env_bool("RADBRIDGE_DICOM_CHECK_CALLED_AE_TITLE", False)
DICOM_ASSOCIATION_RETENTION_DAYS = env_int("RADBRIDGE_DICOM_ASSOCIATION_RETENTION_DAYS", 90)
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
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "axes",
    "csp",
    "radbridge.core",
    "radbridge.clinical",
    "radbridge.hl7",
    "radbridge.accounts",
    "radbridge.portal",
    "radbridge.notify",
    "radbridge.imaging",
    "radbridge.scheduling",
    "radbridge.demo",
    "radbridge.fhir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "radbridge.accounts.middleware.ApiTokenMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "radbridge.core.middleware.AuditActorMiddleware",
    "radbridge.accounts.middleware.ActorRoleMiddleware",
    "radbridge.accounts.middleware.IdleTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
    "radbridge.accounts.middleware.TwoFactorRequiredMiddleware",
    "radbridge.accounts.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "radbridge.urls"
# Covering indexes (Index.include) serve PostgreSQL; SQLite builds the same index without the
# included columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
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
                "radbridge.portal.context_processors.portal",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{RADBRIDGE_HOME / 'radbridge.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The web role runs requests on a pool of threads: persistent per-thread
    # connections would pile up until PostgreSQL refuses more, so threads share a pool.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("RADBRIDGE_DB_POOL_SIZE", 20),
        # How long a request waits for a connection: a database that is down must give a
        # clear failure (an AE/AR ACK, a DICOM 0xC001, an HTTP 500) before senders time out.
        "timeout": env_int("RADBRIDGE_DB_POOL_TIMEOUT", 10),
    }
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
        "OPTIONS": {
            "location": Path(env_str("RADBRIDGE_DICOM_STORAGE", str(RADBRIDGE_HOME / "dicom")))
        },
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

# Accounts, login and sessions (accounts issue). Argon2 first: new and changed passwords use
# it; older hashes still verify and are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("RADBRIDGE_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins before checking
    "django.contrib.auth.backends.ModelBackend",
    "radbridge.accounts.backends.RoleBackend",  # permissions of each role; never logs anyone in
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"
# Lockout (django-axes): after N failures for one username from one address, wait.
AXES_FAILURE_LIMIT = env_int("RADBRIDGE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RADBRIDGE_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "radbridge.portal.views.auth.locked_out"
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}
# Sessions end after this much inactivity, and in any case after SESSION_COOKIE_AGE.
SESSION_IDLE_TIMEOUT_SECONDS = env_int("RADBRIDGE_SESSION_IDLE_MINUTES", 15) * 60
SESSION_COOKIE_AGE = env_int("RADBRIDGE_SESSION_MAX_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_HSTS_SECONDS = env_int("RADBRIDGE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    if env_bool("RADBRIDGE_BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        SECURE_SSL_REDIRECT = True
# No inline script or style anywhere: every asset is a file RadBridge serves itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
OTP_TOTP_ISSUER = env_str("RADBRIDGE_OTP_ISSUER", "RadBridge")
OTP_TOTP_THROTTLE_FACTOR = 1
# Passkeys (WebAuthn, django-otp-webauthn): a second factor only, never passwordless. The RP ID
# and origin come from PUBLIC_URL at each request (accounts.passkeys.PasskeyHelper).
OTP_WEBAUTHN_HELPER_CLASS = "radbridge.accounts.passkeys.PasskeyHelper"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = env_str("RADBRIDGE_PASSKEY_RP_NAME", "RadBridge")
OTP_WEBAUTHN_RP_ID = PUBLIC_URL.partition("://")[2].split("/")[0].rsplit(":", 1)[0]
OTP_WEBAUTHN_ALLOWED_ORIGINS = [PUBLIC_URL]
# A plain-http PUBLIC_URL other than localhost (a demo on a LAN address) is allowed: browsers
# then offer no passkeys and people use their authenticator app.
SILENCED_SYSTEM_CHECKS += ["otp_webauthn.E031"]
INVITATION_VALID_DAYS = env_int("RADBRIDGE_INVITATION_VALID_DAYS", 30)
ONE_TIME_CODE_VALID_MINUTES = env_int("RADBRIDGE_ONE_TIME_CODE_MINUTES", 10)
SHARE_CODE_MAX_DAYS = env_int("RADBRIDGE_SHARE_CODE_MAX_DAYS", 90)
STUDY_DOWNLOADS_PER_HOUR = env_int("RADBRIDGE_STUDY_DOWNLOADS_PER_HOUR", 30)
API_TOKEN_PATH_PREFIXES = ("/fhir/", "/dicomweb/")
AUDIT_SEAL_INTERVAL_SECONDS = env_int("RADBRIDGE_AUDIT_SEAL_SECONDS", 2)
# Notifications (notify app) and email. Messages go out through the SMS provider named by
# RADBRIDGE_SMS_PROVIDER (clicksend, twilio, or log: written to the log, for the demo) and
# Django's email backend, configured by one RADBRIDGE_EMAIL_URL. Misconfiguration is reported
# by `radbridge check` / at start (system checks) and on the notifications admin page.
def env_float(name: str, default: float) -> float:
    raw = env_str(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from None


def email_settings(url: str) -> dict:
    """EMAIL_* settings from smtp://user:password@host:587?tls=1 (smtps:// for implicit TLS),
    console:, file:///path, locmem: or dummy:."""
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    backends = {
        "smtp": "smtp", "smtps": "smtp", "console": "console", "file": "filebased",
        "locmem": "locmem", "dummy": "dummy",
    }
    if parts.scheme not in backends:
        raise ImproperlyConfigured(
            f"RADBRIDGE_EMAIL_URL={url.split('@')[-1]!r}: unknown scheme {parts.scheme!r}; use "
            "smtp://user:password@host:587?tls=1, smtps://..., console:, file:///dir or dummy:"
        )
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    result = {"EMAIL_BACKEND": f"django.core.mail.backends.{backends[parts.scheme]}.EmailBackend"}
    if parts.scheme in ("smtp", "smtps"):
        result.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=options.get("tls", "0").lower() in ("1", "true", "yes"),
            EMAIL_TIMEOUT=float(options.get("timeout", "10")),
        )
    elif parts.scheme == "file":
        result["EMAIL_FILE_PATH"] = unquote(parts.path) or str(RADBRIDGE_HOME / "mail")
    return result


EMAIL_URL = env_str("RADBRIDGE_EMAIL_URL", "console:")
globals().update(email_settings(EMAIL_URL))
DEFAULT_FROM_EMAIL = env_str("RADBRIDGE_DEFAULT_FROM_EMAIL", "RadBridge <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

NOTIFY_SMS_PROVIDER = env_str("RADBRIDGE_SMS_PROVIDER", "log").lower()
NOTIFY_CLICKSEND_BASE_URL = env_str("RADBRIDGE_CLICKSEND_BASE_URL", "https://rest.clicksend.com")
NOTIFY_CLICKSEND_USERNAME = env_str("RADBRIDGE_CLICKSEND_USERNAME")
NOTIFY_CLICKSEND_API_KEY = env_str("RADBRIDGE_CLICKSEND_API_KEY")
NOTIFY_CLICKSEND_FROM = env_str("RADBRIDGE_CLICKSEND_FROM")
NOTIFY_CLICKSEND_WEBHOOK_TOKEN = env_str("RADBRIDGE_CLICKSEND_WEBHOOK_TOKEN")
NOTIFY_TWILIO_BASE_URL = env_str("RADBRIDGE_TWILIO_BASE_URL", "https://api.twilio.com")
NOTIFY_TWILIO_ACCOUNT_SID = env_str("RADBRIDGE_TWILIO_ACCOUNT_SID")
NOTIFY_TWILIO_AUTH_TOKEN = env_str("RADBRIDGE_TWILIO_AUTH_TOKEN")
NOTIFY_TWILIO_FROM = env_str("RADBRIDGE_TWILIO_FROM")  # a number, or a Messaging Service SID
NOTIFY_CENTRE_NAME = env_str("RADBRIDGE_CENTRE_NAME", "the imaging centre")
NOTIFY_DEFAULT_LANGUAGE = env_str("RADBRIDGE_NOTIFY_LANGUAGE", "en")
NOTIFY_PHONE_REGION = env_str("RADBRIDGE_PHONE_REGION", "US").upper()
# Quiet hours in the recipient's time zone: messages wait until they end (STAT excepted).
NOTIFY_QUIET_HOURS = env_str("RADBRIDGE_NOTIFY_QUIET_HOURS", "21:00-08:00")


def env_hours(name: str, default: str) -> list[float]:
    hours = []
    for item in env_list(name, default):
        try:
            hours.append(float(item))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not a number of hours") from None
    return sorted(hours, reverse=True)


# Appointment reminders go out this many hours before the start (each once).
NOTIFY_REMINDER_HOURS = env_hours("RADBRIDGE_NOTIFY_REMINDER_HOURS", "48,2")
NOTIFY_MAX_ATTEMPTS = env_int("RADBRIDGE_NOTIFY_MAX_ATTEMPTS", 8)
NOTIFY_RETRY_BASE_SECONDS = env_float("RADBRIDGE_NOTIFY_RETRY_BASE_SECONDS", 30.0)
NOTIFY_RETRY_CAP_SECONDS = env_float("RADBRIDGE_NOTIFY_RETRY_CAP_SECONDS", 3600.0)
NOTIFY_SEND_TIMEOUT_SECONDS = env_float("RADBRIDGE_NOTIFY_SEND_TIMEOUT", 10.0)
# A send claimed longer ago than this is taken as interrupted (its worker died): the provider
# is asked whether it got the message before it is sent again. Keep it well above the timeout.
NOTIFY_SEND_LEASE_SECONDS = env_float("RADBRIDGE_NOTIFY_SEND_LEASE", 120.0)
NOTIFY_BATCH_SIZE = env_int("RADBRIDGE_NOTIFY_BATCH_SIZE", 100)
LOGGING["loggers"]["httpx"] = {"level": "WARNING"}  # one INFO line per provider request
