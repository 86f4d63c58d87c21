"""Liveness (``/healthz``) and readiness (``/readyz``) endpoints."""

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


def check_redis() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        logger.warning("readiness: redis unavailable: %s", exc)
        return "unavailable"


@json_methods("GET", "HEAD")
def readyz(request):
    checks = {"database": check_database(), "redis": check_redis()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
