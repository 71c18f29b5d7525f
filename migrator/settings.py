"""Settings for the whole site, read from the environment in this one place.

Unset ``DATABASE_URL`` and ``REDIS_URL`` mean the embedded default: a SQLite file
and a broker kept in files under ``DATA_DIR``, so a fresh machine needs no server.
Any secret ``NAME`` may instead come from the file named by ``NAME_FILE``.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from migrator.cache import redis_cache_settings

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name: str, reader: Callable[..., Any], **kwargs: Any) -> Any:
    """Read one variable with a django-environ reader, naming it when its value is unusable."""
    return _parse(name, lambda: reader(name, **kwargs))


def _parse(name: str, parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc


def _secret(name: str, default: str | None = None) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names an unreadable file: {exc}") from exc
    return os.environ.get(name, default)


DEBUG = _read("DEBUG", env.bool, default=False)

DATA_DIR = Path(_read("DATA_DIR", env.str, default=str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = _secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or DEBUG=true for "
            "development."
        )
    SECRET_KEY = "development-only-secret-key-never-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS", env.list, default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])

# --- Applications -------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    # Before staticfiles: its runserver (no Nagle stall) is the one whitenoise extends.
    "migrator",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "rest_framework",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "connectors",
    "wizard",
    "billing",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "migrator.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "migrator.urls"
WSGI_APPLICATION = "migrator.wsgi.application"
ASGI_APPLICATION = "migrator.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "migrator.context_processors.support",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------

_SUPPORTED_DATABASES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")
_database_url = _secret("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
DATABASES = {"default": _parse("DATABASE_URL", lambda: env.db_url_config(_database_url))}
if DATABASES["default"].get("ENGINE") not in _SUPPORTED_DATABASES:
    raise ImproperlyConfigured(
        "DATABASE_URL is malformed or names an unsupported database: expected "
        "postgres://user:password@host:5432/name or sqlite:////absolute/path/db.sqlite3."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------

AUTH_USER_MODEL = "migrator.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Helpdesk Migrator] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True

# Sign-in with Google or Microsoft appears only where the operator set its client id.
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
_google_id = _secret("GOOGLE_CLIENT_ID")
if _google_id:
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": _google_id, "secret": _secret("GOOGLE_CLIENT_SECRET", "")}],
        "SCOPE": ["profile", "email"],
    }
_microsoft_id = _secret("MICROSOFT_CLIENT_ID")
if _microsoft_id:
    INSTALLED_APPS.append("allauth.socialaccount.providers.microsoft")
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": _microsoft_id,
                "secret": _secret("MICROSOFT_CLIENT_SECRET", ""),
                "settings": {"tenant": env.str("MICROSOFT_TENANT", default="common")},
            }
        ],
    }

# --- E-mail -------------------------------------------------------------------------------

_email_url = _secret("EMAIL_URL") or ("consolemail://" if DEBUG else "smtp://localhost:25")
_email = _parse("EMAIL_URL", lambda: env.email_url_config(_email_url))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, default="migrator@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = _read("TIME_ZONE", env.str, default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"

# --- Credentials encryption ---------------------------------------------------------------

# Fernet keys, newest first: the first encrypts, all decrypt, so keys can be rotated.
CREDENTIALS_ENCRYPTION_KEYS = [
    key.strip() for key in (_secret("CREDENTIALS_ENCRYPTION_KEYS") or "").split(",") if key.strip()
]
if not CREDENTIALS_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "CREDENTIALS_ENCRYPTION_KEYS is not set: give one or more Fernet keys separated by "
            "commas, newest first (python manage.py generate_encryption_key makes one)."
        )
    # Development only: a key derived from the development secret, stable across restarts.
    CREDENTIALS_ENCRYPTION_KEYS = [
        base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    ]
_parse("CREDENTIALS_ENCRYPTION_KEYS", lambda: [Fernet(key) for key in CREDENTIALS_ENCRYPTION_KEYS])

# --- Redis, cache, Celery -----------------------------------------------------------------

REDIS_URL = _secret("REDIS_URL") or None
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        "REDIS_URL is malformed: expected redis://host:port/db, rediss://… or unix://…"
    )

# With Redis, an unreachable Redis is a cache miss (migrator/cache.py): the pages go on.
CACHES = {
    "default": (
        redis_cache_settings(redis_url=REDIS_URL)
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    )
}

EMBEDDED_BROKER_DIR = DATA_DIR / "broker"
# The longest a batch task may run; the broker must not hand it to another worker sooner.
CELERY_TASK_TIME_LIMIT = _read("CELERY_TASK_TIME_LIMIT", env.int, default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = _read(
    "CELERY_TASK_SOFT_TIME_LIMIT", env.int, default=CELERY_TASK_TIME_LIMIT - 60
)
CELERY_BROKER_URL = REDIS_URL or "filesystem://localhost/"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = (
    {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 8}
    if REDIS_URL
    else {
        "data_folder_in": str(EMBEDDED_BROKER_DIR / "queue"),
        "data_folder_out": str(EMBEDDED_BROKER_DIR / "queue"),
        "control_folder": str(EMBEDDED_BROKER_DIR / "control"),
        "processed_folder": str(EMBEDDED_BROKER_DIR / "processed"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
)
CELERY_RESULT_BACKEND = REDIS_URL or f"file://{DATA_DIR / 'celery-results'}"
if not REDIS_URL:
    for _folder in ("queue", "control", "processed"):
        (EMBEDDED_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    (DATA_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process is replaced after this many tasks, so its memory cannot creep up over a
# long run (safe with late acknowledgement: it leaves between tasks).
CELERY_WORKER_MAX_TASKS_PER_CHILD = _read("CELERY_WORKER_MAX_TASKS_PER_CHILD", env.int, default=100)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Migration engine ---------------------------------------------------------------------

#: The Celery queue the engine's tasks go to (a worker must consume it).
MIGRATOR_QUEUE = _read("MIGRATOR_QUEUE", env.str, default="celery")
#: Demos and demo records' removal go to a queue of their own, which every worker consumes
#: besides MIGRATOR_QUEUE and a small worker consumes alone: a demo never waits behind full
#: runs. Empty: MIGRATOR_QUEUE followed by "-demo".
MIGRATOR_DEMO_QUEUE = _read("MIGRATOR_DEMO_QUEUE", env.str, default="")
#: The most worker processes one run may hold at once, even when its accounts' rate
#: budgets could feed more (it holds fewer when they feed fewer): other runs keep a share.
MIGRATOR_MAX_BATCHES_PER_RUN = _read("MIGRATOR_MAX_BATCHES_PER_RUN", env.int, default=8)
#: A batch of a run that already holds all the processes its budgets can feed is sent
#: again after this many seconds, and the process takes other work meanwhile.
MIGRATOR_RUN_AT_CAPACITY_COUNTDOWN = _read(
    "MIGRATOR_RUN_AT_CAPACITY_COUNTDOWN", env.float, default=2.0
)
#: Records per batch: a batch is the unit a worker claims and a crash repeats.
MIGRATOR_PAGE_SIZE = _read("MIGRATOR_PAGE_SIZE", env.int, default=50)
#: A worker refreshes its batch's heartbeat this often; a batch whose heartbeat is older
#: than the stale age is handed to another worker by the reconciler.
MIGRATOR_HEARTBEAT_SECONDS = _read("MIGRATOR_HEARTBEAT_SECONDS", env.float, default=10.0)
MIGRATOR_STALE_SECONDS = _read("MIGRATOR_STALE_SECONDS", env.float, default=60.0)
#: How often beat runs the reconciler (stale batches, due schedules, interval windows).
MIGRATOR_RECONCILE_SECONDS = _read("MIGRATOR_RECONCILE_SECONDS", env.float, default=30.0)
#: A delta run reads records updated since the previous run's start minus this overlap.
MIGRATOR_DELTA_OVERLAP_SECONDS = _read("MIGRATOR_DELTA_OVERLAP_SECONDS", env.int, default=600)
#: A run pauses when more than this share of its records failed (after a few dozen).
MIGRATOR_FAILURE_RATIO = _read("MIGRATOR_FAILURE_RATIO", env.float, default=0.5)
#: Fault injection for crash tests: "<point>:<nth>:<flag file>" kills the worker once.
MIGRATOR_CRASH_POINT = _read("MIGRATOR_CRASH_POINT", env.str, default="")
if MIGRATOR_MAX_BATCHES_PER_RUN < 1:
    raise ImproperlyConfigured("MIGRATOR_MAX_BATCHES_PER_RUN must be at least 1.")
if MIGRATOR_HEARTBEAT_SECONDS * 3 > MIGRATOR_STALE_SECONDS:
    raise ImproperlyConfigured(
        "MIGRATOR_STALE_SECONDS must be at least three times MIGRATOR_HEARTBEAT_SECONDS, or "
        "live batches would be taken over."
    )

# Sharing and archiving.
#: The address of this site in e-mails sent by workers (invitations come from a page):
#: set in production; `make run` / run_site set it from the port they serve on.
SITE_URL = _read(
    "SITE_URL", env.str, default=f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"
).rstrip("/")
MIGRATOR_INVITATION_DAYS = _read("MIGRATOR_INVITATION_DAYS", env.int, default=7)
MIGRATOR_SUPPORT_GRANT_DAYS = _read("MIGRATOR_SUPPORT_GRANT_DAYS", env.int, default=7)
#: A migration becomes read-only, its credentials erased, this long after its full run.
MIGRATOR_ARCHIVE_AFTER_DAYS = _read("MIGRATOR_ARCHIVE_AFTER_DAYS", env.int, default=5)
MIGRATOR_ARCHIVE_CHECK_SECONDS = 3600

CELERY_BEAT_SCHEDULE: dict = {
    "migrator-reconcile-runs": {
        "task": "migrator.runs_reconcile",
        "schedule": MIGRATOR_RECONCILE_SECONDS,
        "options": {"queue": MIGRATOR_QUEUE, "expires": MIGRATOR_RECONCILE_SECONDS},
    },
    "migrator-archive-migrations": {
        "task": "migrator.migrations_archive",
        "schedule": MIGRATOR_ARCHIVE_CHECK_SECONDS,
        "options": {"queue": MIGRATOR_QUEUE, "expires": MIGRATOR_ARCHIVE_CHECK_SECONDS},
    },
}

# --- Connectors ---------------------------------------------------------------------------

# The sandbox help desks live on this machine, so development allows private addresses.
CONNECTOR_ALLOW_PRIVATE_NETWORKS = _read(
    "CONNECTOR_ALLOW_PRIVATE_NETWORKS", env.bool, default=DEBUG
)

#: A worker waits for the shared rate budget at most this long in place; a longer wait gives
#: the batch back with that countdown, so the process takes other work meanwhile.
CONNECTOR_BUDGET_WAIT_SECONDS = _read("CONNECTOR_BUDGET_WAIT_SECONDS", env.float, default=2.0)
#: How long a rate limit a platform announced in its headers is trusted (in Redis, by every
#: process) without being announced again.
CONNECTOR_LEARNED_LIMIT_SECONDS = _read(
    "CONNECTOR_LEARNED_LIMIT_SECONDS", env.float, default=3600.0
)
#: The window every platform's limit is counted over, when set: only for emulated accounts
#: whose window was shortened (their ``rate_window_seconds`` option) in tests and benchmarks.
CONNECTOR_RATE_WINDOW_SECONDS = _read("CONNECTOR_RATE_WINDOW_SECONDS", env.float, default=None)

# The emulated help desks under /sandbox/ (seeded demo accounts, tests).
SANDBOX_ENABLED = _read("SANDBOX_ENABLED", env.bool, default=DEBUG)

# --- Billing ------------------------------------------------------------------------------

#: False switches billing off whatever the prices (an operator migrating in-house); with it
#: on, billing still stays off while every price in the admin is zero.
BILLING_ENABLED = _read("BILLING_ENABLED", env.bool, default=True)
#: How orders are paid: "manual" (staff mark invoices paid in the admin) or "stripe".
BILLING_PROVIDER = _read("BILLING_PROVIDER", env.str, default="manual")
STRIPE_SECRET_KEY = _secret("STRIPE_SECRET_KEY") or ""
STRIPE_WEBHOOK_SECRET = _secret("STRIPE_WEBHOOK_SECRET") or ""
if BILLING_PROVIDER not in ("manual", "stripe"):
    raise ImproperlyConfigured(
        f"BILLING_PROVIDER is malformed: {BILLING_PROVIDER!r} is not one of manual, stripe."
    )
if BILLING_PROVIDER == "stripe" and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "BILLING_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (or their "
        "_FILE variants)."
    )

# --- REST API -----------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# --- Security -----------------------------------------------------------------------------

# Sessions in the database: the cache (Redis) may be lost or stopped without signing anyone
# out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
#: Pages load scripts, styles and images from this site only and run no inline script or
#: style (htmx's own indicator style is off: templates/base.html). No form-action: signing
#: in with Google or Microsoft and paying with Stripe redirect a form's answer to them.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
}
#: Browser features no page of the site uses.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", env.bool, default=True)
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", env.bool, default=True)
    # Behind a TLS-terminating proxy (docker-compose, Kubernetes ingress).
    if _read("USE_X_FORWARDED_PROTO", env.bool, default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, default="INFO")},
    # httpx logs every request at INFO: too much for a run of thousands of records.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}
