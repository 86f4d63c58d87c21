"""Parallel test runs (pytest-xdist, ``make test``): what each worker process gets of its own, and
which tests share a server among all of them.

Each worker gets its own Redis databases: every ``redis://`` URL of the settings' Redis variables is
moved ``worker index`` databases up (``REDIS_URL=redis://127.0.0.1:6379/0`` gives gw0 db 0 and gw1
db 1), so caches, channel layers, Celery brokers and timelines of two workers never meet. The
databases, under PostgreSQL, get the worker's suffix from pytest-django (``test_<name>_gw0``)."""

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

# The settings' Redis URLs (mini_twitter/settings/base.py), each a URL or a comma-separated list.
REDIS_URL_VARIABLES = (
    "REDIS_URL",
    "CACHE_REDIS_URLS",
    "CHANNEL_REDIS_URLS",
    "TIMELINES_REDIS_URL",
    "CELERY_BROKER_URL",
)

# Tests on a server that every worker shares (and that change its state: a cluster node stopped,
# its timelines emptied), by marker: each group runs in one worker, one test after the other
# (``--dist loadgroup``).
SHARED_SERVER_GROUPS = {"cluster": "redis-cluster", "replica": "pg-replica"}


def shifted_redis_url(url: str, offset: int) -> str:
    """``url`` with its database number ``offset`` higher; URLs other than redis:// and rediss://
    (a Redis Cluster, a unix socket, RabbitMQ) unchanged."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"} or offset == 0:
        return url
    number = parts.path.strip("/") or "0"
    if not number.isdigit():
        raise ValueError(f"{url!r}: the database is not a number")
    return urlunsplit(parts._replace(path=f"/{int(number) + offset}"))


def worker_redis_environment(environ: Mapping[str, str], index: int) -> dict[str, str]:
    """The Redis variables of ``environ`` that worker ``index`` (0 for gw0) gets instead."""
    return {
        name: ",".join(shifted_redis_url(url.strip(), index) for url in environ[name].split(",") if url.strip())
        for name in REDIS_URL_VARIABLES
        if environ.get(name, "").strip()
    }


def shared_server_group(marker_names: set[str]) -> str | None:
    """The xdist group of a test carrying these markers, if it uses a shared server."""
    return next((group for marker, group in SHARED_SERVER_GROUPS.items() if marker in marker_names), None)
