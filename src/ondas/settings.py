"""Django settings for Ondas, driven by the environment (see ``.env.example``).

Nothing set: SQLite in WAL mode and audio on local disk under ``ONDAS_DATA_DIR``
(``./var``). ``DATABASE_URL=postgres://…`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The cache (per process, or Redis shared by every node); sign-in and
# device-code limits; the nodes nginx balances over; periodic jobs, this
# node's name and workers' leases: each in a module of its own, imported here.
from ondas.core.cache_settings import *  # noqa: F403
from ondas.core.database import postgres_settings
from ondas.core.env import env_bool, env_int, env_list, env_str, secret_key
from ondas.core.media_settings import S3_DELIVERY_MODES, media_storages
from ondas.core.signin_settings import *  # noqa: F403
from ondas.core.upstream_settings import *  # noqa: F403
from ondas.core.worker_settings import *  # noqa: F403

# Lets runtime code subscript generic Django classes (admin.ModelAdmin[Show]).
django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("ONDAS_DATA_DIR", "var")).resolve()

DEBUG = env_bool("ONDAS_DEBUG", False)
SECRET_KEY = secret_key(data_dir=DATA_DIR)
ALLOWED_HOSTS = env_list("ONDAS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("ONDAS_CSRF_TRUSTED_ORIGINS", [])
# Where public links (feeds, enclosures) point when there is no request at hand.
SITE_URL = env_str("ONDAS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ondas.core",
    "ondas.accounts",
    "ondas.catalog",
    "ondas.billing",
    "ondas.feedkeys",
    "ondas.ingest",
    "ondas.library",
    "ondas.playback",
    "ondas.feeds",
    "ondas.studio",
    "ondas.analytics",
    "ondas.search",
    "ondas.web",
    "ondas.api",
    "ondas.ops",
    # django-ninja's own Swagger UI files, so the API docs need no CDN
    "ninja",
]

MIDDLEWARE = [
    # Outermost: every later layer logs with the request id, and the metrics
    # see the final status, errors rendered by the layers below included.
    "ondas.ops.middleware.RequestIdMiddleware",
    "ondas.ops.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ondas.web.middleware.DefaultLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ondas.web.middleware.OndasErrorMiddleware",
    # Inside the web one: under /api/ every error is JSON in the API's shape.
    "ondas.api.middleware.ApiErrorShapeMiddleware",
]

ROOT_URLCONF = "ondas.urls"
WSGI_APPLICATION = "ondas.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


_sqlite_path = DATA_DIR / "ondas.sqlite3"
_database: dict[str, Any] = dict(
    dj_database_url.config(
        default=f"sqlite:///{_sqlite_path}", conn_max_age=600, conn_health_checks=True
    )
)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock
    # at BEGIN so two writers queue instead of failing with "database is locked".
    # Connections persist per worker thread: opening one (with its PRAGMAs) cost
    # about 800 µs, the largest part of an audio request (bench/audio_ranges.py).
    # A write that waits longer than ONDAS_SQLITE_BUSY_TIMEOUT_MS for the lock
    # is answered 503 with Retry-After (core.faults), never 500.
    _database["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={env_int('ONDAS_SQLITE_BUSY_TIMEOUT_MS', 5000)};"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL: a psycopg pool per process, sized from the request threads of
    # `ondas serve` (ONDAS_THREADS), unless pgbouncer pools instead
    # (ondas.core.database; deploy/README.md has the pgbouncer recipe).
    _pool_max = env_str("ONDAS_DB_POOL_MAX")
    _database = postgres_settings(
        _database,
        threads=env_int("ONDAS_THREADS", 8),
        pool=env_bool("ONDAS_DB_POOL", True),
        pool_max=env_int("ONDAS_DB_POOL_MAX", 0) if _pool_max else None,
        pgbouncer=env_bool("ONDAS_DB_PGBOUNCER", False),
    )
DATABASES = {"default": _database}

# Background work: Django's task API (the django-tasks backport) with its
# database backend, so one box needs no broker; `ondas worker` runs the queue.
# ONDAS_TASKS_BACKEND=immediate runs tasks inline (the test suite does).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.backend.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env_str("ONDAS_TASKS_BACKEND", "database")]
    }
}

# The creator's numbers pages, computed once per show, range, page, language
# and numbers version (every roll-up write bumps it), kept this long at most;
# 0 computes every page afresh (bench/numbers_page.py measures both).
ONDAS_NUMBERS_CACHE_SECONDS = env_int("ONDAS_NUMBERS_CACHE_SECONDS", 600)

# Payments: "offline" (test cards and operator-confirmed payments) or "stripe".
ONDAS_PAYMENT_PROVIDER = env_str("ONDAS_PAYMENT_PROVIDER", "offline")
ONDAS_STRIPE_SECRET_KEY = env_str("ONDAS_STRIPE_SECRET_KEY")
ONDAS_STRIPE_WEBHOOK_SECRET = env_str("ONDAS_STRIPE_WEBHOOK_SECRET")
# Only for tests and Stripe's own mock servers; empty means api.stripe.com.
ONDAS_STRIPE_API_BASE = env_str("ONDAS_STRIPE_API_BASE")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        # Not "username": it mirrors the email, and people never see it.
        "OPTIONS": {"user_attributes": ["email", "first_name", "last_name"]},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Argon2id for every new or changed password; the others only read old hashes
# (Django rehashes them with Argon2 at the next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"


# Search: semantic ranking when the `semantic` extra is installed (on unless
# this is 0), and the share of the blend the meaning takes (0 to 1; the rest
# is the full-text score). See src/ondas/search/README.md.
ONDAS_SEARCH_SEMANTIC = env_bool("ONDAS_SEARCH_SEMANTIC", True)
_semantic_weight = env_str("ONDAS_SEARCH_SEMANTIC_WEIGHT", "0.5")
try:
    ONDAS_SEARCH_SEMANTIC_WEIGHT = float(_semantic_weight)
except ValueError:
    raise ImproperlyConfigured(
        f"ONDAS_SEARCH_SEMANTIC_WEIGHT must be a number, not {_semantic_weight!r}"
    ) from None
if not 0.0 <= ONDAS_SEARCH_SEMANTIC_WEIGHT <= 1.0:
    raise ImproperlyConfigured("ONDAS_SEARCH_SEMANTIC_WEIGHT must be between 0 and 1")
# `ondas transcribe` and its worker task (the `transcribe` extra): CPU threads.
ONDAS_TRANSCRIBE_THREADS = env_int("ONDAS_TRANSCRIBE_THREADS", 1)

# Behind a reverse proxy, the header that carries the client's address (for
# example X-Forwarded-For or X-Real-IP). Empty: use the connection's address,
# which is right when nothing sits in front. Set it only when a proxy you run
# overwrites the header, or anyone can pick the address they are counted under.
ONDAS_CLIENT_IP_HEADER = env_str("ONDAS_CLIENT_IP_HEADER", "")
# With X-Forwarded-For: how many proxies you run in front of Ondas (the client
# is that many entries from the right).
ONDAS_TRUSTED_PROXY_COUNT = env_int("ONDAS_TRUSTED_PROXY_COUNT", 1)
# Payouts (analytics/README.md): the share of each subscriber's net payment that
# goes to what they heard ("0.5" is half, read exactly as a decimal); whether
# listening in a free trial (or after a paid period ended) pays; and, to pay a
# fixed amount per premium stream instead (capped at that share), the rate in
# minor units, with audiobooks at their own rate per hour heard (unset: per
# day a book was played, at the stream rate).
ONDAS_PAYOUT_CREATOR_SHARE = env_str("ONDAS_PAYOUT_CREATOR_SHARE", "0.5")
ONDAS_PAYOUT_TRIAL_LISTENING_PAYS = env_bool("ONDAS_PAYOUT_TRIAL_LISTENING_PAYS", False)
ONDAS_PAYOUT_STREAM_RATE_MINOR: int | None = (
    env_int("ONDAS_PAYOUT_STREAM_RATE_MINOR", 0)
    if env_str("ONDAS_PAYOUT_STREAM_RATE_MINOR", "")
    else None
)
ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR: int | None = (
    env_int("ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR", 0)
    if env_str("ONDAS_PAYOUT_BOOK_HOUR_RATE_MINOR", "")
    else None
)
# How long an email verification link works, and how many a person may ask
# for per hour.
ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS = env_int(
    "ONDAS_EMAIL_VERIFICATION_MAX_AGE_SECONDS", 3 * 24 * 60 * 60
)
ONDAS_VERIFICATION_EMAILS_PER_HOUR = env_int("ONDAS_VERIFICATION_EMAILS_PER_HOUR", 5)
# Studio: how long an invitation link works, and a show claim's code waits to
# be found in the show's feed.
ONDAS_STUDIO_INVITATION_MAX_AGE_SECONDS = env_int(
    "ONDAS_STUDIO_INVITATION_MAX_AGE_SECONDS", 7 * 24 * 60 * 60
)
ONDAS_STUDIO_CLAIM_MAX_AGE_SECONDS = env_int(
    "ONDAS_STUDIO_CLAIM_MAX_AGE_SECONDS", 14 * 24 * 60 * 60
)

# Email: printed to the console unless an SMTP server is configured.
EMAIL_HOST = env_str("ONDAS_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST_USER = env_str("ONDAS_EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("ONDAS_EMAIL_HOST_PASSWORD", "")
    # STARTTLS on port 587 by default; ONDAS_EMAIL_USE_SSL=1 for TLS on port 465.
    EMAIL_USE_SSL = env_bool("ONDAS_EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = env_bool("ONDAS_EMAIL_USE_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = env_int("ONDAS_EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
    EMAIL_TIMEOUT = env_int("ONDAS_EMAIL_TIMEOUT", 10)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured(
            "Set at most one of ONDAS_EMAIL_USE_TLS and ONDAS_EMAIL_USE_SSL"
        )
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("ONDAS_DEFAULT_FROM_EMAIL", "Ondas <ondas@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The storefront speaks Spanish first; English is one click away.
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "web" / "locale"]
LANGUAGE_COOKIE_NAME = "ondas_language"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("ONDAS_MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()
# Media bytes: local disk (MEDIA_ROOT) unless ONDAS_MEDIA_STORAGE=s3 puts new
# uploads in an S3-compatible bucket (ONDAS_S3_*; core.media). Each audio row
# names the storage that holds its bytes, so both may be in use at once
# (`ondas storage migrate`).
ONDAS_MEDIA_STORAGE = env_str("ONDAS_MEDIA_STORAGE", "local").strip().lower()
STORAGES = {
    **media_storages(
        environ=dict(os.environ),
        choice=ONDAS_MEDIA_STORAGE,
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Audio in S3 behind nginx: proxy = Ondas answers X-Accel-Redirect to nginx's
# internal location ONDAS_S3_ACCEL_PREFIX, which fetches the object from the
# endpoint with a presigned request (the client never sees the bucket);
# redirect = a 302 to a presigned URL valid ONDAS_S3_URL_SECONDS. Without
# nginx (no ONDAS_AUDIO_ACCEL_PREFIX) `ondas serve` streams the object itself.
ONDAS_S3_DELIVERY = env_str("ONDAS_S3_DELIVERY", "proxy").strip().lower()
if ONDAS_S3_DELIVERY not in S3_DELIVERY_MODES:
    raise ImproperlyConfigured("ONDAS_S3_DELIVERY must be proxy or redirect")
ONDAS_S3_ACCEL_PREFIX = env_str("ONDAS_S3_ACCEL_PREFIX", "/_s3_media/")
if not (ONDAS_S3_ACCEL_PREFIX.startswith("/") and ONDAS_S3_ACCEL_PREFIX.endswith("/")):
    raise ImproperlyConfigured(
        "ONDAS_S3_ACCEL_PREFIX must start and end with '/', e.g. /_s3_media/"
    )
ONDAS_S3_URL_SECONDS = env_int("ONDAS_S3_URL_SECONDS", 300)
if not 1 <= ONDAS_S3_URL_SECONDS <= 3600:
    raise ImproperlyConfigured("ONDAS_S3_URL_SECONDS must be 1 to 3600")
# Serve static files straight from the apps, so `ondas serve` needs no
# collectstatic step; nginx serves STATIC_ROOT in production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ONDAS_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# /readyz answers 503 (and `ondas doctor` fails) when the file system of the
# data directory has less free space than this, in MiB: writes are refused
# before SQLite finds the disk full.
ONDAS_MIN_FREE_MB = env_int("ONDAS_MIN_FREE_MB", 64)
if ONDAS_MIN_FREE_MB < 0:
    raise ImproperlyConfigured("ONDAS_MIN_FREE_MB must be 0 or more")

# Episodes per page on a show page: a 10,000-episode show never loads at once.
ONDAS_EPISODES_PER_PAGE = 20
# How far ``core.clock.now()`` is ahead of the real clock: tests that drive a
# real server move it; never read from the environment. Set here so that the
# clock, read on every audio request, finds it without a miss.
ONDAS_CLOCK_SHIFT = timedelta(0)

# Feeds (ondas.feeds): importing shows from RSS/Atom and refreshing them.
# Feeds are never fetched from private, loopback, link-local or metadata
# addresses unless listed here: networks as CIDRs, hosts by name.
ONDAS_FEEDS_ALLOWED_NETWORKS = env_list("ONDAS_FEEDS_ALLOWED_NETWORKS", [])
ONDAS_FEEDS_ALLOWED_HOSTS = env_list("ONDAS_FEEDS_ALLOWED_HOSTS", [])
ONDAS_FEEDS_TIMEOUT = float(env_str("ONDAS_FEEDS_TIMEOUT", "20"))  # whole fetch
ONDAS_FEEDS_MAX_BYTES = env_int("ONDAS_FEEDS_MAX_BYTES", 32 * 1024 * 1024)
ONDAS_FEEDS_MAX_REDIRECTS = env_int("ONDAS_FEEDS_MAX_REDIRECTS", 5)
ONDAS_FEEDS_REFRESH_MINUTES = env_int("ONDAS_FEEDS_REFRESH_MINUTES", 60)
ONDAS_FEEDS_MAX_BACKOFF_MINUTES = env_int("ONDAS_FEEDS_MAX_BACKOFF_MINUTES", 1440)
# An import asked for on the import page that is still waiting or running this
# long after it was asked for (or started) is shown as failed: its worker died.
ONDAS_FEED_IMPORT_TIMEOUT_MINUTES = env_int("ONDAS_FEED_IMPORT_TIMEOUT_MINUTES", 15)
if ONDAS_FEED_IMPORT_TIMEOUT_MINUTES < 1:
    raise ImproperlyConfigured("ONDAS_FEED_IMPORT_TIMEOUT_MINUTES must be 1 or more")
# A refresh that would mark more than this share of a show's episodes missing
# waits for a person to approve it in the admin.
ONDAS_FEEDS_MAX_REMOVAL_PERCENT = float(
    env_str("ONDAS_FEEDS_MAX_REMOVAL_PERCENT", "10")
)
# Private feeds: an address counts as shared when, in one day, its audio is
# fetched from more networks (IPv4 /24, IPv6 /48) or it is used by more apps
# (User-Agents) than these. The subscriber is told by email and, with auto
# reset on, the address is replaced at once (the old one stops working).
ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY = env_int(
    "ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY", 6
)
ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY = env_int("ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY", 5)
ONDAS_PRIVATE_FEED_AUTO_RESET = env_bool("ONDAS_PRIVATE_FEED_AUTO_RESET", True)
if (
    min(ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY, ONDAS_PRIVATE_FEED_MAX_APPS_PER_DAY)
    < 1
):
    raise ImproperlyConfigured(
        "ONDAS_PRIVATE_FEED_MAX_NETWORKS_PER_DAY and ..._MAX_APPS_PER_DAY must be 1 or more"
    )
# Follows: shows per page of "Your shows", and the largest OPML file a
# listener may upload to follow the shows of another app.
ONDAS_FOLLOWS_PER_PAGE = 48
ONDAS_OPML_MAX_BYTES = env_int("ONDAS_OPML_MAX_BYTES", 1024 * 1024)

# Studio uploads (tus): chunks land in ONDAS_UPLOAD_TEMP_DIR (keep it on the
# same file system as the media folder, so that a finished upload is moved into
# storage, not copied). An upload may be at most ONDAS_UPLOAD_MAX_BYTES long;
# one that receives no bytes for ONDAS_UPLOAD_EXPIRY_SECONDS expires and the
# worker removes it. A person may have ONDAS_UPLOAD_MAX_OPEN unfinished
# uploads at once. ONDAS_UPLOAD_FORM_MAX_BYTES bounds a plain form post.
ONDAS_UPLOAD_TEMP_DIR = Path(
    env_str("ONDAS_UPLOAD_TEMP_DIR", str(DATA_DIR / "uploads"))
).resolve()
ONDAS_UPLOAD_MAX_BYTES = env_int("ONDAS_UPLOAD_MAX_BYTES", 2 * 1024**3)
ONDAS_UPLOAD_EXPIRY_SECONDS = env_int("ONDAS_UPLOAD_EXPIRY_SECONDS", 24 * 60 * 60)
ONDAS_UPLOAD_MAX_OPEN = env_int("ONDAS_UPLOAD_MAX_OPEN", 5)
ONDAS_UPLOAD_FORM_MAX_BYTES = env_int("ONDAS_UPLOAD_FORM_MAX_BYTES", 100 * 1024**2)
if min(ONDAS_UPLOAD_MAX_BYTES, ONDAS_UPLOAD_EXPIRY_SECONDS, ONDAS_UPLOAD_MAX_OPEN) < 1:
    raise ImproperlyConfigured(
        "ONDAS_UPLOAD_MAX_BYTES, ..._EXPIRY_SECONDS and ..._MAX_OPEN must be 1 or more"
    )

# Production serving (ondas.ops): nginx in front, `ondas deploy nginx` renders
# its site from these. With ONDAS_AUDIO_ACCEL_PREFIX set (e.g.
# /_protected_media/) the audio view checks the request and answers with
# X-Accel-Redirect to that internal nginx location, which sends the bytes.
ONDAS_AUDIO_ACCEL_PREFIX = env_str("ONDAS_AUDIO_ACCEL_PREFIX", "")
if ONDAS_AUDIO_ACCEL_PREFIX and not (
    ONDAS_AUDIO_ACCEL_PREFIX.startswith("/") and ONDAS_AUDIO_ACCEL_PREFIX.endswith("/")
):
    raise ImproperlyConfigured(
        "ONDAS_AUDIO_ACCEL_PREFIX must start and end with '/', e.g. /_protected_media/"
    )
# How long nginx may keep Ondas's yes to "may this listener hear this audio"
# (per audio file and session) before asking again; 0 asks on every request.
# A subscription that ends stops its audio within this many seconds. Books'
# parts, metered against the listener's hours, are asked about every time.
ONDAS_AUDIO_RIGHTS_TTL = env_int("ONDAS_AUDIO_RIGHTS_TTL", 10)
# `ondas serve` answers /audio/ requests through a lean path (ondas.wsgi,
# playback.lean) that skips the middleware stack and keeps a yes per worker
# under the same rule; off sends them through the full stack like any page.
ONDAS_LEAN_AUDIO = env_bool("ONDAS_LEAN_AUDIO", True)
# Where nginx keeps those answers (`ondas deploy nginx` writes it in the site).
ONDAS_NGINX_CACHE_DIR = env_str("ONDAS_NGINX_CACHE_DIR", "/var/cache/nginx/ondas")
# Behind nginx (which sets X-Forwarded-Proto), Django must know the request
# came over HTTPS: secure cookies, CSRF origins and absolute links depend on it.
# Only set it when a proxy you run overwrites that header.
if env_bool("ONDAS_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
ONDAS_SERVER_NAME = env_str("ONDAS_SERVER_NAME", "")
ONDAS_TLS_CERTIFICATE = env_str("ONDAS_TLS_CERTIFICATE", "/etc/ssl/ondas/fullchain.pem")
ONDAS_TLS_CERTIFICATE_KEY = env_str(
    "ONDAS_TLS_CERTIFICATE_KEY", "/etc/ssl/ondas/privkey.pem"
)

# /metrics: loopback clients only, unless this is set; then only requests with
# `Authorization: Bearer <this>` (from anywhere, loopback too), and the nginx
# site `ondas deploy nginx` renders passes /metrics through (ops.metrics_access).
ONDAS_METRICS_TOKEN = env_str("ONDAS_METRICS_TOKEN", "")
if ONDAS_METRICS_TOKEN and not re.fullmatch(r"[!-~]{16,}", ONDAS_METRICS_TOKEN):
    raise ImproperlyConfigured(
        "ONDAS_METRICS_TOKEN must be 16 or more visible ASCII characters (no "
        "spaces), e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
    )

# Logs: plain text, or one JSON object per line (ONDAS_LOG_FORMAT=json); both
# carry the request id.
ONDAS_LOG_FORMAT = env_str("ONDAS_LOG_FORMAT", "plain")
if ONDAS_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("ONDAS_LOG_FORMAT must be plain or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "ondas.ops.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {"()": "ondas.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": ONDAS_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("ONDAS_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# The JSON API (ondas.api): requests per token (or per client address, without
# one) in each window of ONDAS_API_RATE_WINDOW seconds; 0 turns the limit off.
# Counted in the database (every node shares it), or in Redis with ONDAS_CACHE_URL.
ONDAS_API_RATE_LIMIT = env_int("ONDAS_API_RATE_LIMIT", 600)
ONDAS_API_RATE_WINDOW = env_int("ONDAS_API_RATE_WINDOW", 60)
ONDAS_API_PAGE_SIZE = 50
