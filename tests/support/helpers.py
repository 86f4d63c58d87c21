"""Waiting, threads, the cache and the services a test needs."""

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def run_in_threads(count: int, target: Callable[[int], None]) -> None:
    """Run ``target(i)`` in ``count`` threads released together; re-raise the first failure.
    Each thread closes its own database connection when done."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def clear_cache() -> None:
    """Empty the app's cache (only its own keys on Redis, never the Celery queues) and the Redis
    home timelines (their own ``tl:`` prefix)."""
    from django.core.cache import cache

    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    from posts.feed import timelines

    if timelines.redis_url():
        with contextlib.suppress(*timelines.ERRORS):  # a test that points REDIS_URL at a dead server
            timelines.clear_all()


def redis_unavailable_reason() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is unreachable: {exc}"
    return None


# The Redis Cluster the cluster tests run against (``.ci/redis-cluster start`` prints its URL).
REDIS_CLUSTER_URL_ENV = "TEST_REDIS_CLUSTER_URL"


def redis_cluster_url() -> str:
    return os.environ.get(REDIS_CLUSTER_URL_ENV, "")


def redis_cluster_unavailable_reason() -> str | None:
    from django.core.exceptions import ImproperlyConfigured
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException

    from posts.feed.timelines import cluster_nodes

    url = redis_cluster_url()
    if not url:
        return f"{REDIS_CLUSTER_URL_ENV} is not set (start one with .ci/redis-cluster start)"
    try:
        nodes, options = cluster_nodes(url)
        conn = RedisCluster(startup_nodes=nodes, socket_connect_timeout=2, **options)
        try:
            conn.ping(target_nodes=RedisCluster.ALL_NODES)
        finally:
            conn.close()
    except (redis.RedisError, RedisClusterException, ImproperlyConfigured) as exc:
        return f"the Redis Cluster at {url} is unreachable: {exc}"
    return None


def skip_unless_available(problem: str | None, needed_for: str) -> None:
    """Skip a test whose service is missing, except in CI (``CI=true``), where that fails it."""
    import pytest

    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs {needed_for}: {problem}")
        pytest.skip(problem)
