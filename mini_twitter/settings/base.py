"""Settings shared by every environment, read from environment variables.

The defaults give the embedded setup (SQLite under ``var/``, in-process cache, Celery tasks run
inline); setting ``DATABASE_URL`` and ``REDIS_URL`` switches to PostgreSQL and Redis. The
environments add to these: ``local`` (development), ``production`` and ``test``.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mini_twitter.settings.scaling import (
    broker_kind,
    broker_transport_options,
    cache_config,
    channel_layer_config,
    split_urls,
    task_queues,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    """A comma-separated variable; unset or empty means the default (as for the other env_*)."""
    return [item.strip() for item in (os.environ.get(name) or default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Without a key, the development key stands in so that management commands (makemigrations,
# createsuperuser, ...) work anywhere; with DEBUG off, the servers and workers refuse to start on it
# and `manage.py check --deploy` fails (mini_twitter/checks.py).
SECRET_KEY_MISSING = not SECRET_KEY
if SECRET_KEY_MISSING:
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "mini_twitter.api.errors.csrf_failure"
# Browser front ends on other origins: none unless listed (the API authenticates with headers, so no
# credentials/cookies are allowed cross-origin). The Mastodon API allows any origin on its own paths
# (mastodon_api/cors.py); its pagination is in the ``Link`` header.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ("accept", "authorization", "content-type", "api-key", "x-request-id", "idempotency-key")
CORS_EXPOSE_HEADERS = ("retry-after", "x-request-id", "link")

INSTALLED_APPS = [
    # First: its runserver serves the ASGI application (HTTP and WebSockets) in development.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_yasg",
    "oauth2_provider",
    "users",
    "posts",
    "notifications",
    "messaging",
    "media",
    "microblog",
    "moderation",
    "mastodon_api",
    "realtime",
    "rooms",
    "outbox",
    # The demo and benchmark data sets (`manage.py demo_data`, `manage.py seed_demo`).
    "demo",
]

MIDDLEWARE = [
    # Metrics (django-prometheus) and the request id / access log wrap everything else.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "mini_twitter.observability.middleware.RequestLogMiddleware",
    # Before the size limits, so that their refusals carry CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    # Outside everything that can raise SuspiciousOperation (host checks, form parsing).
    "mini_twitter.api.middleware.JsonBadRequestMiddleware",
    "mini_twitter.api.middleware.BodySizeLimitMiddleware",
    "mini_twitter.api.middleware.NulCharacterMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Reads from the read replicas, if any, within each request (mini_twitter/db/replicas.py).
    "mini_twitter.db.middleware.ReplicaRoutingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Mastodon clients' paths with a trailing slash (before the URL is resolved).
    "mastodon_api.middleware.TrailingSlashMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "mini_twitter.urls"
WSGI_APPLICATION = "mini_twitter.wsgi.application"
ASGI_APPLICATION = "mini_twitter.asgi.application"

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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
# PostgreSQL: each process keeps one pool of connections for all its threads. Under ASGI, sync code
# runs on a thread per request, and Django's persistent connections (CONN_MAX_AGE) are kept per
# thread, so they would pile up; with the pool a connection goes back to it at the end of every
# request, and a process never holds more than DATABASE_POOL_MAX_SIZE. A request that waits longer
# than DATABASE_POOL_TIMEOUT seconds for one fails with a database error (a 503 with Retry-After).
# The pool opens at the first query, in the process that makes it (so after Celery's prefork).
DATABASE_POOL = IS_POSTGRES and env_bool("DATABASE_POOL", True)
if IS_POSTGRES:
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        # The name connections show in pg_stat_activity.
        "application_name": os.environ.get("DATABASE_APPLICATION_NAME") or "mini_twitter",
    }
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django must hand them back
    DATABASES["default"]["OPTIONS"]["pool"] = {
        # Kept open even when idle. 0: a process idle for max_idle holds none. (Celery processes run
        # without the pool: DATABASE_POOL=false in docker-compose.yml.)
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 0),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT") or 5),
        # Connections idle this long are closed, down to min_size.
        "max_idle": float(os.environ.get("DATABASE_POOL_MAX_IDLE") or 300),
    }
# django-prometheus's wrappers of the same backends count queries, errors and connections.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Read replicas of DATABASE_URL (streaming PostgreSQL standbys), as aliases replica_0, replica_1, ...
# with the primary's options and pool settings. Requests read from them through the router in
# mini_twitter/db/ (writes, transactions, the admin, migrations, tasks and a client's reads right
# after its own writes use the primary); a replica lagging more than
# DATABASE_REPLICA_MAX_LAG_SECONDS, or unreachable, is left out, checked every
# DATABASE_REPLICA_CHECK_SECONDS per process. Tests use the primary (MIRROR).
DATABASE_REPLICAS = []
for _index, _url in enumerate(env_list("DATABASE_REPLICA_URLS")):
    if not IS_POSTGRES:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL.")
    _replica = dj_database_url.parse(_url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"], conn_health_checks=True)
    if _replica["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS must name PostgreSQL servers.")
    _options = dict(DATABASES["default"]["OPTIONS"])
    if "pool" in _options:
        _options["pool"] = dict(_options["pool"])
    _replica.update(ENGINE="mini_twitter.db.backends.postgresql_replica", OPTIONS=_options, TEST={"MIRROR": "default"})
    DATABASES[f"replica_{_index}"] = _replica
    DATABASE_REPLICAS.append(f"replica_{_index}")
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS") or 5)
DATABASE_REPLICA_CHECK_SECONDS = float(os.environ.get("DATABASE_REPLICA_CHECK_SECONDS") or 1)
DATABASE_ROUTERS = ["mini_twitter.db.router.ReplicaRouter"] if DATABASE_REPLICAS else []

# --- Cache, Redis ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# The cache sharded over these Redis servers (comma-separated; by default REDIS_URL alone).
CACHE_REDIS_URLS = split_urls(os.environ.get("CACHE_REDIS_URLS"), REDIS_URL, name="CACHE_REDIS_URLS")
if CACHE_REDIS_URLS:
    CACHES = {"default": cache_config(CACHE_REDIS_URLS)}
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "mini_twitter.observability.cache.LocMemCache", "KEY_PREFIX": "mt"}}

# --- Celery ---------------------------------------------------------------------------------
# RabbitMQ (amqp://user:password@host:5672/vhost) or Redis; by default the Redis of REDIS_URL.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "memory://"
CELERY_BROKER_KIND = broker_kind(CELERY_BROKER_URL)
CELERY_RESULT_BACKEND = None
# Inline without a broker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_KIND == "memory")
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes every database connection before and after each task unless it may
# "reuse" them this many times; mini_twitter/celery.py does at task boundaries what Django does at
# request boundaries instead (CONN_MAX_AGE and health checks), so a worker child keeps one connection.
CELERY_DB_REUSE_MAX = 2**62
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90)
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_DEFAULT_QUEUE", "default")
CELERY_EMAIL_QUEUE = os.environ.get("CELERY_EMAIL_QUEUE", "email")
CELERY_TASK_ROUTES = {"*.send_*_email*": {"queue": CELERY_EMAIL_QUEUE}}
# RabbitMQ: quorum queues on topic exchanges (mini_twitter/settings/scaling.py). The worker sees
# them (worker_detect_quorum_queues, on by default), so it uses per-consumer prefetch (quorum
# queues have no global QoS) and sends countdown/ETA tasks (retries) through RabbitMQ's native
# delayed delivery instead of holding them; a queue a worker is told to consume that is not
# declared here is made the same way.
CELERY_TASK_QUEUES = task_queues(CELERY_BROKER_KIND, [CELERY_TASK_DEFAULT_QUEUE, CELERY_EMAIL_QUEUE])
if CELERY_BROKER_KIND == "amqp":
    CELERY_TASK_CREATE_MISSING_QUEUE_TYPE = "quorum"
    CELERY_TASK_CREATE_MISSING_QUEUE_EXCHANGE_TYPE = "topic"
# Redis: a task taken by a worker that died before acknowledging it (acks_late) is delivered again
# once it has been unacknowledged for ``visibility_timeout`` seconds; keep it above the longest task
# run time and retry countdown (a worker holds a delayed retry unacknowledged; backoffs are capped
# at 120 s for notifications, 300 s for password-reset emails). Workers look for such tasks about every
# interval × throttle seconds (kombu's defaults: 10 × 10). RabbitMQ gives a task back as soon as the
# connection of the worker holding it closes.
# Publishing fails fast when the broker is down (the outbox then sends the task once the broker is
# back, see outbox/services.py) instead of hanging on reconnects.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_KIND,
    visibility_timeout=env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    unacked_restore_interval=env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    unacked_restore_throttle=env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
)
# Late-acknowledged tasks still running when the broker connection drops can no longer be acked
# and will be delivered again: stop them instead of letting two copies run.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "delete-unattached-media": {"task": "media.delete_unattached", "schedule": 3600.0},
    "sweep-room-presence": {"task": "rooms.sweep_presence", "schedule": 60.0},
    "drain-outbox": {"task": "outbox.drain", "schedule": float(env_int("OUTBOX_DRAIN_SECONDS", 15))},
}
# The transactional outbox (outbox/services.py): a task recorded with its write is sent again when it
# has not succeeded in time: still queued after OUTBOX_RESEND_QUEUED_SECONDS (the broker lost it),
# or still running past its hard time limit plus OUTBOX_STARTED_GRACE_SECONDS (its worker died).
OUTBOX_RESEND_QUEUED_SECONDS = env_int("OUTBOX_RESEND_QUEUED_SECONDS", 300)
OUTBOX_STARTED_GRACE_SECONDS = env_int("OUTBOX_STARTED_GRACE_SECONDS", 15)

# --- Home timelines (posts/feed/) -------------------------------------------------------------
# "redis": each active user's home timeline is a capped sorted set in Redis, filled by fan-out on
# write; "db": the feed is computed from the database on read (always so without Redis).
# The timelines' Redis: ``redis://host:port/db`` (one server) or ``redis+cluster://host:port,host:port,...``
# (a Redis Cluster, any of its nodes); empty: REDIS_URL (posts.feed.timelines.redis_url).
TIMELINES_REDIS_URL = os.environ.get("TIMELINES_REDIS_URL", "")
if TIMELINES_REDIS_URL.partition("://")[0] not in {"", "redis", "rediss", "unix", "redis+cluster", "rediss+cluster"}:
    raise ImproperlyConfigured("TIMELINES_REDIS_URL must be a redis://, rediss://, unix:// or redis+cluster:// URL.")
FEED_BACKEND = os.environ.get("FEED_BACKEND") or ("redis" if TIMELINES_REDIS_URL or REDIS_URL else "db")
if FEED_BACKEND not in {"redis", "db"} or (FEED_BACKEND == "redis" and not (TIMELINES_REDIS_URL or REDIS_URL)):
    FEED_BACKEND = "db"
# Seconds the database selector caches a page of entries (0: computed on every read).
FEED_PAGE_CACHE_SECONDS = env_int("FEED_PAGE_CACHE_SECONDS", 300)
TIMELINE_MAX_ENTRIES = env_int("TIMELINE_MAX_ENTRIES", 800)
# Entries a rebuild reads from the database (at most TIMELINE_MAX_ENTRIES): fan-out fills the rest
# up to the cap; older pages come from the database below the rebuilt part.
TIMELINE_REBUILD_ENTRIES = env_int("TIMELINE_REBUILD_ENTRIES", 200)
# Timelines of users who have not read their feed for this many days expire (no fan-out to them).
TIMELINE_ACTIVE_DAYS = env_int("TIMELINE_ACTIVE_DAYS", 7)
# Accounts with more followers are not fanned out: their posts are merged in at read time.
TIMELINE_CELEBRITY_FOLLOWERS = env_int("TIMELINE_CELEBRITY_FOLLOWERS", 200_000)
TIMELINE_FANOUT_BATCH = env_int("TIMELINE_FANOUT_BATCH", 1000)

# --- Channels (WebSockets) ---------------------------------------------------------------------
# Redis carries socket events between processes (web and Celery workers), sharded over the servers
# of CHANNEL_REDIS_URLS (comma-separated; by default REDIS_URL alone); without Redis the in-memory
# layer serves the single development process, where tasks run inline.
CHANNEL_REDIS_URLS = split_urls(os.environ.get("CHANNEL_REDIS_URLS"), REDIS_URL, name="CHANNEL_REDIS_URLS")
if CHANNEL_REDIS_URLS:
    CHANNEL_LAYERS = {
        "default": channel_layer_config(CHANNEL_REDIS_URLS, prefix=os.environ.get("CHANNELS_PREFIX", "mt-asgi"))
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
WEBSOCKET_AUTH_TIMEOUT = float(os.environ.get("WEBSOCKET_AUTH_TIMEOUT", "10"))
# The Mastodon API's server-sent event streams send a ``:thump`` comment this often (seconds).
MASTODON_STREAMING_HEARTBEAT = float(os.environ.get("MASTODON_STREAMING_HEARTBEAT", "15"))

# --- Audio rooms ----------------------------------------------------------------------------
ROOM_MAX_PARTICIPANTS = env_int("ROOM_MAX_PARTICIPANTS", 50)
ROOM_PRESENCE_GRACE_SECONDS = float(os.environ.get("ROOM_PRESENCE_GRACE_SECONDS", "30"))
# Each open room socket marks its participant seen this often; the beat's presence sweep counts
# the sockets of a participant unseen for three heartbeats as closed (their web process died).
ROOM_PRESENCE_HEARTBEAT_SECONDS = float(os.environ.get("ROOM_PRESENCE_HEARTBEAT_SECONDS", "30"))
# STUN/TURN servers given to clients on join: JSON, e.g.
# [{"urls": ["turn:turn.example.com:3478"], "username": "u", "credential": "p"}]
ICE_SERVERS = json.loads(os.environ.get("ICE_SERVERS") or '[{"urls": ["stun:stun.l.google.com:19302"]}]')

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_CODE_TTL = timedelta(minutes=env_int("PASSWORD_RESET_CODE_MINUTES", 10))
PASSWORD_RESET_MAX_ATTEMPTS = 5

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the password hash: setting a password revokes every earlier token.
    "CHECK_REVOKE_TOKEN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": os.environ.get("JWT_SIGNING_KEY") or SECRET_KEY,
}

# --- REST framework -------------------------------------------------------------------------
THROTTLE_RATE_ANON = os.environ.get("THROTTLE_RATE_ANON", "120/min")
THROTTLE_RATE_USER = os.environ.get("THROTTLE_RATE_USER", "600/min")
# Login, registration and password reset get a tenth of the anonymous rate (at least 1).
THROTTLE_SENSITIVE_DIVISOR = env_int("THROTTLE_SENSITIVE_DIVISOR", 10)
# Writes (POST, PUT, PATCH, DELETE) get the user rate divided by this, per user and per address.
THROTTLE_WRITE_DIVISOR = env_int("THROTTLE_WRITE_DIVISOR", 4)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "users.authentication.SessionJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "mini_twitter.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "mini_twitter.api.throttles.AnonThrottle",
        "mini_twitter.api.throttles.UserThrottle",
        "mini_twitter.api.throttles.UserWriteThrottle",
        "mini_twitter.api.throttles.AddressWriteThrottle",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's JSON written by orjson (mini_twitter/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["mini_twitter.api.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "mini_twitter.api.exceptions.exception_handler",
    # Client addresses are REMOTE_ADDR only (mini_twitter/api/client_address.py): the ASGI server
    # alone decides which proxy's X-Forwarded-For to believe (FORWARDED_ALLOW_IPS).
    "NUM_PROXIES": 0,
}

# The Mastodon client API's OAuth 2 server (django-oauth-toolkit). Scopes are Mastodon's: the
# broad ``read``/``write``/``follow``/``push`` and the granular ``read:*``/``write:*`` forms
# (mastodon_api/scopes.py says which broad scope grants which granular one).
MASTODON_SCOPES = (
    {
        "read": "read all your data",
        "write": "modify all your data",
        "follow": "modify account relationships",
        "push": "receive your push notifications",
        "profile": "read only your own profile",
    }
    | {
        f"read:{name}": f"read your {name.replace('_', ' ')}"
        for name in (
            "accounts",
            "blocks",
            "bookmarks",
            "favourites",
            "filters",
            "follows",
            "lists",
            "mutes",
            "notifications",
            "search",
            "statuses",
        )
    }
    | {
        f"write:{name}": f"modify your {name.replace('_', ' ')}"
        for name in (
            "accounts",
            "blocks",
            "bookmarks",
            "conversations",
            "favourites",
            "filters",
            "follows",
            "lists",
            "media",
            "mutes",
            "notifications",
            "reports",
            "statuses",
        )
    }
)
# Named so that models pointing at DOT's applications (mastodon_api.MastodonApp) can migrate.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "SCOPES": MASTODON_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    # Mastodon's tokens live until they are revoked (or the user is suspended or deleted).
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("OAUTH_ACCESS_TOKEN_EXPIRE_SECONDS", 10 * 365 * 24 * 3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # RFC 9700: no implicit grant, PKCE only with S256, the issuer in authorization responses,
    # tokens stored as hashes only, a replayed refresh token revokes its family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}
# Kept as Mastodon has them, for the clients that use them: the password grant (scripts), the
# ``access_token`` query parameter (browsers' EventSource and WebSocket cannot send a header) and
# ``http`` redirect URIs (native apps' loopback callbacks, RFC 8252).
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W002", "oauth2_provider.W004", "oauth2_provider.W008"]

SWAGGER_SETTINGS = {
    "SECURITY_DEFINITIONS": {
        "Bearer": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "description": "JWT access token, entered as `Bearer <token>`.",
        },
        "ApiKey": {
            "type": "apiKey",
            "name": "api-key",
            "in": "header",
            "description": "Api key of the microblog front-end API (only its paths accept it).",
        },
        "MastodonToken": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "description": "OAuth access token of the Mastodon API (`POST /oauth/token`), as `Bearer <token>`.",
        },
    },
    # The JWT API by default; the microblog endpoints declare the api-key scheme themselves.
    "SECURITY_REQUIREMENTS": [{"Bearer": []}],
    "USE_SESSION_AUTH": False,
    "SCHEMA_COERCE_PATH_PK": False,
    "DEFAULT_AUTO_SCHEMA_CLASS": "mini_twitter.api.schema.AutoSchema",
}

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = os.environ.get("STATIC_ROOT") or str(VAR_DIR / "static")
if not os.environ.get("STATIC_ROOT"):
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
# Static files (admin, Swagger UI) are served by WhiteNoise straight from the apps under their own
# names (production serves what `collectstatic` wrote, compressed and with hashed names).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(VAR_DIR / "media")
# S3-compatible object storage (AWS S3, MinIO, ...) for uploads when a bucket is named.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
            "default_acl": None,
        },
    }
MEDIA_MAX_UPLOAD_BYTES = env_int("MEDIA_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000)
# An animation is decoded frame by frame onto its whole canvas: these bound that work.
MEDIA_MAX_FRAMES = env_int("MEDIA_MAX_FRAMES", 300)
MEDIA_MAX_TOTAL_PIXELS = env_int("MEDIA_MAX_TOTAL_PIXELS", 50_000_000)
# Requests larger than the biggest upload are refused before Django reads them into memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_REQUEST_BODY_BYTES = MEDIA_MAX_UPLOAD_BYTES + 64 * 1024
MAX_QUERY_STRING_LENGTH = env_int("MAX_QUERY_STRING_LENGTH", 4096)

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "mini_twitter <no-reply@localhost>")

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------------
APPEND_SLASH = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Logs, metrics, error tracking ----------------------------------------------------------
# JSON lines (one per request in the "mini_twitter.access" logger, with the request id on every
# record) in production; readable text in development.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mini_twitter.observability.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"()": "mini_twitter.observability.logs.PlainFormatter"},
        "json": {"()": "mini_twitter.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# /metrics: open to these addresses/CIDR ranges ("none": no address), and to anyone sending
# `Authorization: Bearer <METRICS_TOKEN>` when a token is set.
METRICS_ALLOWED_IPS = env_list(
    "METRICS_ALLOWED_IPS", "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# The reverse proxies whose X-Forwarded-For names the client: comma-separated addresses or CIDR
# ranges. The servers read the same variable themselves (uvicorn: address and scheme; gunicorn: the
# scheme only, the address is wsgi.py's WSGIForwardedFor). Unset: loopback, as gunicorn; empty: none.
FORWARDED_ALLOW_IPS = [
    item.strip() for item in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1").split(",") if item.strip()
]
# Celery workers serve their metrics on this port (0: not at all).
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDRESS = os.environ.get("WORKER_METRICS_ADDRESS", "0.0.0.0")  # noqa: S104 - in a container

# Sentry (Django and Celery) only with a DSN; no personal data is sent.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from mini_twitter.observability.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
        release=os.environ.get("SENTRY_RELEASE", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
    )

# A built single-page microblog front end (index.html, js/, css/) to serve at the site root.
MICROBLOG_FRONTEND_DIR = os.environ.get("MICROBLOG_FRONTEND_DIR", "")

# Django serves uploaded files itself unless told not to (the compose setup: nginx serves /media/)
# or they live in object storage (their URLs point there).
SERVE_MEDIA = env_bool("SERVE_MEDIA", not AWS_STORAGE_BUCKET_NAME)
