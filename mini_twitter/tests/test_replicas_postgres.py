"""Read replicas for real: replica_scenarios.py runs, in a pytest process of its own, on the
PostgreSQL primary and streaming replica that ``.ci/pg-replica start`` runs (``.ci/run`` does), named by
``TEST_PG_PRIMARY_URL`` and ``TEST_PG_REPLICA_URL``. Skipped without them, except in CI.

Run these alone with ``pytest -m replica``."""

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings

from tests.support import skip_unless_available

pytestmark = pytest.mark.replica

SCENARIOS = "mini_twitter/tests/replica_scenarios.py"
DATABASE = "mini_twitter_replicas"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def unavailable_reason(primary: str, replica: str) -> str | None:
    if not primary or not replica:
        return "TEST_PG_PRIMARY_URL and TEST_PG_REPLICA_URL are not set (.ci/pg-replica start)"
    try:
        for url, standby in ((primary, False), (replica, True)):
            with psycopg.connect(url, connect_timeout=2) as connection:
                if connection.execute("SELECT pg_is_in_recovery()").fetchone()[0] != standby:
                    return f"{url} is {'not ' if standby else ''}a standby"
    except psycopg.Error as exc:
        return f"PostgreSQL pair unreachable: {exc}"
    return None


def test_the_api_on_a_primary_and_its_streaming_replica():
    primary, replica = os.environ.get("TEST_PG_PRIMARY_URL", ""), os.environ.get("TEST_PG_REPLICA_URL", "")
    skip_unless_available(unavailable_reason(primary, replica), "a PostgreSQL primary and its replica")
    env = {
        **os.environ,
        "DATABASE_URL": with_database(primary, DATABASE),
        "DATABASE_REPLICA_URLS": with_database(replica, DATABASE),
        # Reads of the database only: no Redis timelines or cached feed pages in between.
        "REDIS_URL": "",
        "FEED_PAGE_CACHE_SECONDS": "0",
        "DATABASE_REPLICA_MAX_LAG_SECONDS": "5",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", SCENARIOS, "-p", "no:cacheprovider", "--no-migrations", "-x"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
