"""Parallel test runs (tests/support/parallel.py): each xdist worker's Redis databases, the groups of
tests on shared servers, and one id per schema-fuzzing operation."""

import pytest

from tests.support.parallel import shared_server_group, shifted_redis_url, worker_redis_environment


@pytest.mark.parametrize(
    ("url", "offset", "expected"),
    [
        ("redis://127.0.0.1:6379/0", 1, "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/9", 2, "redis://127.0.0.1:6379/11"),
        ("redis://127.0.0.1:6379", 1, "redis://127.0.0.1:6379/1"),
        (
            "rediss://:secret@cache.example:6380/3?ssl_cert_reqs=none",
            1,
            "rediss://:secret@cache.example:6380/4?ssl_cert_reqs=none",
        ),
        ("redis://127.0.0.1:6379/5", 0, "redis://127.0.0.1:6379/5"),
        ("redis+cluster://127.0.0.1:7001,127.0.0.1:7002", 1, "redis+cluster://127.0.0.1:7001,127.0.0.1:7002"),
        ("amqp://guest:guest@127.0.0.1:5672//", 1, "amqp://guest:guest@127.0.0.1:5672//"),
    ],
)
def test_a_worker_moves_redis_urls_up_by_its_index(url, offset, expected):
    assert shifted_redis_url(url, offset) == expected


def test_a_redis_url_whose_database_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="not a number"):
        shifted_redis_url("redis://127.0.0.1:6379/cache", 1)


def test_each_worker_gets_its_own_databases_for_every_redis_variable_set():
    environ = {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_REDIS_URLS": "redis://10.0.0.1:6379/2, redis://10.0.0.2:6379/2",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "CHANNEL_REDIS_URLS": "",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/ci",
    }
    workers = [worker_redis_environment(environ, index) for index in range(2)]
    assert workers[0] == {
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CACHE_REDIS_URLS": "redis://10.0.0.1:6379/2,redis://10.0.0.2:6379/2",
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    }
    assert workers[1]["REDIS_URL"] == "redis://127.0.0.1:6379/1"
    assert workers[1]["CACHE_REDIS_URLS"] == "redis://10.0.0.1:6379/3,redis://10.0.0.2:6379/3"
    assert worker_redis_environment({}, 1) == {}


@pytest.mark.parametrize(
    ("markers", "group"),
    [({"cluster"}, "redis-cluster"), ({"replica", "django_db"}, "pg-replica"), ({"live", "django_db"}, None)],
)
def test_tests_on_a_shared_server_run_in_one_group(markers, group):
    assert shared_server_group(markers) == group


def test_the_collected_tests_carry_their_groups_and_distinct_ids(request):
    items = request.session.items
    assert len({item.nodeid for item in items}) == len(items)
    for item in items:
        if item.get_closest_marker("cluster"):
            assert item.get_closest_marker("xdist_group").args == ("redis-cluster",)
