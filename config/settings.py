"""Hindsight settings: one env-driven module.

Every variable is listed in `.env.example`. With nothing set, Hindsight runs on a SQLite file
and kombu's filesystem broker under `var/`, so `make run` needs no PostgreSQL or Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HINDSIGHT_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean variable strictly: a value other than true/false/yes/no/on/off/1/0 is an error.

    django-environ reads any unknown word (`DEBUG=ture`) as False; a typo must stop start-up instead.
    """
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (or 1/0, yes/no, on/off), not {raw!r}.")


HINDSIGHT_ENV = env.str("HINDSIGHT_ENV", default="development")
if HINDSIGHT_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"HINDSIGHT_ENV must be development, test or production, not {HINDSIGHT_ENV!r}"
    )
IS_PRODUCTION = HINDSIGHT_ENV == "production"

DEBUG = env_bool("DEBUG", default=False)

if IS_PRODUCTION:
    try:
        SECRET_KEY = env.str("SECRET_KEY")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when HINDSIGHT_ENV=production (a long random string)."
        ) from exc
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters in production.")
else:
    SECRET_KEY = env.str(
        "SECRET_KEY", default="dev-insecure-hindsight-key-change-me-0123456789abcdefghijklmnop"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# True when neither the environment nor .env sets SITE_URL: commands that write links say so.
SITE_URL_IS_DEFAULT = not env.str("SITE_URL", default="").strip()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "accounts",
    "incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # NUL and control characters, 100 kB query values and oversized API bodies refused (incidents/inputs.py).
    "incidents.inputs.InputGuardMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Hindsight's error family on pages: refusals, conflicts, transitions (incidents/errors.py).
    "incidents.errors.ErrorPageMiddleware",
]

# simple-history is the audit trail of row changes; a change's reason (a status note, a deletion reason) can
# be as long as the text it quotes, so it is stored as text rather than the default 100 characters.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# --- Database -------------------------------------------------------------------------------------------
# A blank DATABASE_URL (a variable emptied in a shell or a CI step) means the default, as if unset: read as a
# URL it would be a database with no engine, and every command would stop with a KeyError.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'hindsight.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several responders write at once: WAL lets readers run beside a writer, IMMEDIATE takes the write
    # lock at BEGIN (no lock upgrade deadlock), and the timeout makes writers queue instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Authenticates only the OpenID Connect callback's code (it ignores username and password).
    "accounts.sso.HindsightOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password reset links are good for this many seconds; requests are limited per address and per client.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 3600)
PASSWORD_RESET_PER_EMAIL_HOUR = env.int("PASSWORD_RESET_PER_EMAIL_HOUR", default=3)
PASSWORD_RESET_PER_IP_HOUR = env.int("PASSWORD_RESET_PER_IP_HOUR", default=20)
# --- Single sign-on (OpenID Connect, accounts/sso.py) ------------------------------------------------------
OIDC_ENABLED = env_bool("OIDC_ENABLED", default=False)
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_USERINFO_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_JWKS_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile groups")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_CREATE_USER = True
OIDC_AUTHENTICATION_CALLBACK_URL = "sso_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
if OIDC_ENABLED:
    missing = [n for n in ("OIDC_RP_CLIENT_ID", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT",
                           "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT") if not globals()[n]]  # fmt: skip
    if missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(missing)} (see README, Single sign-on).")
# Sign-in with email and password; off leaves only single sign-on (and password reset is off too).
LOCAL_SIGN_IN = env_bool("LOCAL_SIGN_IN", default=True)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "incidents:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Security events are kept at least a year (accounts.security.MIN_RETENTION_DAYS); prune_security_events
# deletes only what is older than this.
SECURITY_EVENT_RETENTION_DAYS = env.int("SECURITY_EVENT_RETENTION_DAYS", default=400)
if SECURITY_EVENT_RETENTION_DAYS < 366:
    raise ImproperlyConfigured(
        f"SECURITY_EVENT_RETENTION_DAYS must be at least 366 (a year), not {SECURITY_EVENT_RETENTION_DAYS}."
    )

# --- Time -----------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# --- Security headers -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
CSRF_COOKIE_SAMESITE = "Lax"
# Pages send the token in a form field or (htmx) the hx-headers attribute, never read from the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Email ------------------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hindsight <hindsight@localhost>")
# Outside production, mail goes only to these addresses (fnmatch patterns); tests and demos never email people.
EMAIL_ALLOWLIST = env.list("EMAIL_ALLOWLIST", default=["*@example.com", "*@example.org", "*@localhost"])

# --- Cache ------------------------------------------------------------------------------------------------
# One cache for every process (web workers, the Celery worker and beat): Insights' figures and the version
# that writes replace (incidents/insights/metrics/cache.py), sign-in and reset rate limits, the API throttle.
# Redis when REDIS_URL is set; else files under var/cache, which the processes of `make run` share (a
# local-memory cache would be one per process: a write in one would not drop another's figures).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "hindsight",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# --- Celery -----------------------------------------------------------------------------------------------
_FS_BROKER = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (_FS_BROKER / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_FS_BROKER / "out"),
        "data_folder_out": str(_FS_BROKER / "out"),
        "processed_folder": str(_FS_BROKER / "processed"),
        "control_folder": str(_FS_BROKER / "control"),
        "store_processed": False,
    }
else:
    # Without these, kombu waits forever on a dead or stalled Redis and a web request hangs with it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Sweeps, not ETAs: beat publishes these in UTC; each expires before the next one so a backlog never
# piles up. Two beats at once are harmless: every delivery is claimed by a unique database row.
NOTIFY_SWEEP_SECONDS = env.float("NOTIFY_SWEEP_SECONDS", default=300.0)
# Issue trackers: the sweep that reads linked issues for missed webhooks (and opens P1 items' issues).
TRACKER_RECONCILE_SECONDS = env.float("TRACKER_RECONCILE_SECONDS", default=900.0)
CELERY_BEAT_SCHEDULE: dict = {
    "sweep-reminders": {
        "task": "incidents.notify.tasks.sweep_reminders",
        "schedule": NOTIFY_SWEEP_SECONDS,
        "options": {"expires": NOTIFY_SWEEP_SECONDS * 0.9},
    },
    "sweep-digests": {
        "task": "incidents.notify.tasks.sweep_digests",
        "schedule": NOTIFY_SWEEP_SECONDS,
        "options": {"expires": NOTIFY_SWEEP_SECONDS * 0.9},
    },
    "expire-risk-acceptances": {
        "task": "incidents.followup.tasks.expire_risk_acceptances",
        "schedule": 3600.0,
        "options": {"expires": 3000.0},
    },
    "sweep-overdue-webhooks": {
        "task": "incidents.notify.tasks.sweep_overdue_webhooks",
        "schedule": 300.0,
        "options": {"expires": 270.0},
    },
    "prune-deliveries": {
        "task": "incidents.notify.tasks.prune_deliveries",
        "schedule": 86400.0,
        "options": {"expires": 3000.0},
    },
    "reconcile-trackers": {
        "task": "incidents.integrations.trackers.tasks.reconcile_trackers",
        "schedule": TRACKER_RECONCILE_SECONDS,
        "options": {"expires": TRACKER_RECONCILE_SECONDS * 0.9},
    },
}
# Delivery of claimed notifications (incidents/notify/delivery.py).
NOTIFY_LEASE_SECONDS = env.float("NOTIFY_LEASE_SECONDS", default=120.0)
NOTIFY_REPUBLISH_AFTER_SECONDS = env.float("NOTIFY_REPUBLISH_AFTER_SECONDS", default=60.0)
NOTIFY_RETRY_BASE_SECONDS = env.float("NOTIFY_RETRY_BASE_SECONDS", default=10.0)
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=8)
# Finished delivery records older than this are pruned daily (incidents/notify/retention.py), except those a
# sweep still needs to send nothing twice. At least 120 days: the longest reminder window is 90 days.
NOTIFY_RETENTION_DAYS = env.int("NOTIFY_RETENTION_DAYS", default=400)
if NOTIFY_RETENTION_DAYS < 120:
    raise ImproperlyConfigured(f"NOTIFY_RETENTION_DAYS must be at least 120, not {NOTIFY_RETENTION_DAYS}.")

# --- REST framework -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "incidents.api.auth.ApiTokenAuthentication",
        "incidents.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "incidents.api.auth.TokenScopePermission",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON with the surrogate check (incidents/api/parsers.py), then DRF's form parsers.
    "DEFAULT_PARSER_CLASSES": [
        "incidents.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "incidents.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["incidents.api.auth.TokenRateThrottle"],
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
}
# Requests per API token (per user for sessions), e.g. 600/min; see incidents/api/auth.py.
HINDSIGHT_API_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Requests to URLs people type (webhooks, chat webhooks, PDF images) never go to loopback, private, link-local
# or reserved addresses (incidents/outbound.py), except to these `host` or `host:port` targets, e.g.
# OUTBOUND_ALLOWED_TARGETS=mattermost.corp.example,10.0.0.7:8065 for a chat server on the office network.
OUTBOUND_ALLOWED_TARGETS = env.list("OUTBOUND_ALLOWED_TARGETS", default=[])
# Tracker tokens and webhook secrets are encrypted with this Fernet key (else one derived from SECRET_KEY).
CREDENTIALS_KEY = env.str("CREDENTIALS_KEY", default="")
# Chat capture (README "Chat: Slack and Mattermost"). Empty secrets switch the endpoints off (401).
SLACK_SIGNING_SECRET = env.str("SLACK_SIGNING_SECRET", default="")
SLACK_BOT_TOKEN = env.str("SLACK_BOT_TOKEN", default="")
SLACK_API_URL = env.str("SLACK_API_URL", default="https://slack.com/api")
MATTERMOST_URL = env.str("MATTERMOST_URL", default="")
MATTERMOST_COMMAND_TOKEN = env.str("MATTERMOST_COMMAND_TOKEN", default="")
MATTERMOST_BOT_TOKEN = env.str("MATTERMOST_BOT_TOKEN", default="")
SPECTACULAR_SETTINGS = {
    "TITLE": "Hindsight API",
    "DESCRIPTION": "Incidents, timelines, postmortems, action items and policy findings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page is served from vendored files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "incidents.api.schema.add_error_responses",
        "incidents.api.schema.patch_bodies_like_put",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "ActionItemStatusEnum": "incidents.models.ActionItemStatus",
        "FindingStatusEnum": "incidents.models.FindingStatus",
        "PostmortemStatusEnum": "incidents.models.PostmortemStatus",
        "CustomFieldKindEnum": "incidents.models.CustomFieldKind",
        "UpdateStatusEnum": "incidents.models.UpdateStatus",
        # The timeline entry's kind keeps its name beside the custom field's kind.
        "KindEnum": "incidents.models.EntryKind",
    },
}

# --- Hindsight ----------------------------------------------------------------------------------------------
# Due-date targets per action-item priority, in days.
ACTION_ITEM_DUE_TARGET_DAYS = {
    "P1": env.int("ACTION_ITEM_P1_DAYS", default=14),
    "P2": env.int("ACTION_ITEM_P2_DAYS", default=30),
    "P3": env.int("ACTION_ITEM_P3_DAYS", default=90),
}
# Business days after the resolution a required postmortem is due published, where no process rule says otherwise.
POSTMORTEM_DUE_DAYS = env.int("POSTMORTEM_DUE_DAYS", default=5)

# Attachments are stored through Django's default storage (files under MEDIA_ROOT unless STORAGES names a
# bucket) and served only by the permission-checked download views: there is no MEDIA_URL route.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# The largest attachment accepted, in bytes (10 MB).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

FORMS_URLFIELD_ASSUME_HTTPS = True
