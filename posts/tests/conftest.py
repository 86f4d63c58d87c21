"""Fixtures for the feed: run a test against each feed implementation."""

import pytest

from tests.support import clear_cache, redis_unavailable_reason, skip_unless_available


def use_feed_backend(settings, backend: str) -> None:
    """``database``: the feed computed from the database; ``redis``: the fan-out timelines, which
    need Redis (skipped without it, except in CI, where its absence fails the test)."""
    if backend == "redis":
        skip_unless_available(redis_unavailable_reason(), "Redis for the timeline tests")
    settings.FEED_BACKEND = "redis" if backend == "redis" else "db"
    clear_cache()


@pytest.fixture(params=["database", "redis"])
def feed_backend(request, settings) -> str:
    use_feed_backend(settings, request.param)
    return request.param


@pytest.fixture
def redis_feed(settings) -> None:
    use_feed_backend(settings, "redis")
