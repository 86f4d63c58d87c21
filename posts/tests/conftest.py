"""Fixtures for the feed: run a test against each feed implementation."""

import os

import pytest
from django.conf import settings as django_settings

from mini_twitter.testing import clear_cache


def redis_unavailable_reason() -> str | None:
    if not django_settings.REDIS_URL:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(django_settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is unreachable: {exc}"
    return None


def use_feed_backend(settings, backend: str) -> None:
    """``database``: the feed computed from the database; ``redis``: the fan-out timelines, which
    need Redis (skipped without it, except in CI, where its absence fails the test)."""
    if backend == "redis":
        problem = redis_unavailable_reason()
        if problem:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI needs Redis for the timeline tests: {problem}")
            pytest.skip(problem)
    settings.FEED_BACKEND = "redis" if backend == "redis" else "db"
    clear_cache()


@pytest.fixture(params=["database", "redis"])
def feed_backend(request, settings) -> str:
    use_feed_backend(settings, request.param)
    return request.param


@pytest.fixture
def redis_feed(settings) -> None:
    use_feed_backend(settings, "redis")
