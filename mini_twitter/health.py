"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints.

Readiness needs the database and ``REDIS_URL`` (503 without either). The scaled-out engines are
reported too when they are configured apart from ``REDIS_URL``: the home timelines' server or
cluster, the cache's and the channel layer's servers, a RabbitMQ broker. The service works without
each of them, degraded (the feed from the database, cache misses, no live pushes, tasks owed by
the outbox), so one of them down answers 200 with ``"status": "degraded"``: a load balancer keeps
the process, and monitoring sees which engine is missing."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from .api.errors import json_methods

logger = logging.getLogger(__name__)


@json_methods("GET", "HEAD")
def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readiness: database unavailable: %s", exc)
        return "unavailable"


def _ping_redis(url: str, name: str = "redis") -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("readiness: %s unavailable: %s", name, exc)
        return "unavailable"


def check_redis() -> str:
    return _ping_redis(settings.REDIS_URL) if settings.REDIS_URL else "not configured"


def _check_servers(urls: list[str], name: str) -> str | None:
    """Whether every server listed apart from ``REDIS_URL`` answers; None when the list is just it."""
    if not urls or urls == [settings.REDIS_URL]:
        return None
    states = [_ping_redis(url, name) for url in urls]
    return "ok" if all(state == "ok" for state in states) else "unavailable"


def _server_urls(url: str) -> list[str]:
    """The servers of a timelines URL: itself, or each node a ``redis+cluster://`` URL names (with
    its credentials and TLS)."""
    scheme, _, rest = url.partition("://")
    if not scheme.endswith("+cluster"):
        return [url]
    userinfo, _, hosts = rest.rpartition("@")
    hosts = hosts.split("/", 1)[0]
    prefix = f"{scheme.removesuffix('+cluster')}://{userinfo + '@' if userinfo else ''}"
    return [prefix + host for host in hosts.split(",") if host]


def check_timelines() -> str | None:
    """The home timelines' server, or every node its cluster URL names (each must answer)."""
    url = settings.TIMELINES_REDIS_URL
    if not url or settings.FEED_BACKEND != "redis":
        return None
    return _check_servers(_server_urls(url), "timelines")


def check_broker() -> str | None:
    if settings.CELERY_BROKER_KIND != "amqp" or settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=1)
        return "ok"
    except Exception as exc:  # noqa: BLE001
        logger.warning("readiness: broker unavailable: %s", exc)
        return "unavailable"


@json_methods("GET", "HEAD")
def readyz(request):
    checks = {"database": check_database(), "redis": check_redis()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    optional = {
        "timelines": check_timelines(),
        "cache": _check_servers(settings.CACHE_REDIS_URLS, "cache"),
        "channels": _check_servers(settings.CHANNEL_REDIS_URLS, "channel layer"),
        "broker": check_broker(),
    }
    checks |= {name: state for name, state in optional.items() if state is not None}
    if not ready:
        status = "unavailable"
    elif "unavailable" in checks.values():
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)
