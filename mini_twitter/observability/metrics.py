"""The service's own Prometheus metrics, and how a process exposes its metrics.

Requests, database queries and cache reads are measured by django-prometheus (middleware, database
backend wrappers) and by :mod:`.cache`; this module adds what only the application knows: posts
created, feed requests by cache outcome, notifications created, and Celery task outcomes and
durations (recorded by :mod:`.celery_signals`, in web processes for inline tasks and in workers).

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (uvicorn with several workers, Celery's
prefork pool), every process writes its samples to files in that directory and :func:`registry`
aggregates them, so one scrape sees them all. The directory must exist, be shared by the processes
of one server only, and be emptied when that server starts (compose mounts a fresh tmpfs).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
    start_http_server,
)

# No ``*_created`` timestamp series next to every counter and histogram: nobody graphs them.
disable_created_metrics()

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

POSTS_CREATED = Counter("mini_twitter_posts_created_total", "Posts (replies included) created, counted on commit.")
FEED_REQUESTS = Counter(
    "mini_twitter_feed_requests_total",
    "Home feed pages requested, by whether the page of entries came from the cache.",
    ["cache"],
)
NOTIFICATIONS_CREATED = Counter(
    "mini_twitter_notifications_created_total",
    "Notification rows inserted (duplicates skipped by the database are not counted), by type.",
    ["type"],
)
CELERY_TASKS = Counter(
    "mini_twitter_celery_tasks_total",
    "Celery task runs by task name and outcome (success, failure, retry, ...).",
    ["task", "state"],
)
CELERY_TASK_DURATION = Histogram(
    "mini_twitter_celery_task_duration_seconds",
    "Run time of Celery tasks, by task name.",
    ["task"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, float("inf")),
)
OUTBOX_RESENT = Counter(
    "mini_twitter_outbox_resent_total",
    "Tasks sent again from the outbox: lost by the broker, interrupted with their worker, or failed.",
)
CACHE_OPERATIONS = Counter(
    "mini_twitter_cache_operations_total",
    "Cache calls by backend and operation (reads by key are in django_cache_get_*).",
    ["backend", "operation"],
)

# Series that should exist (at zero) before the first event, so that rates and ratios start at 0.
for outcome in ("hit", "miss"):
    FEED_REQUESTS.labels(cache=outcome)


def feed_request(*, cache_hit: bool) -> None:
    FEED_REQUESTS.labels(cache="hit" if cache_hit else "miss").inc()


def notifications_created(*, type: str, count: int) -> None:
    if count:
        NOTIFICATIONS_CREATED.labels(type=str(type)).inc(count)


@dataclass
class RowCount:
    count: int = 0


@contextmanager
def inserted_rows(using: str = "default") -> Iterator[RowCount]:
    """Counts the rows that the INSERT statements run inside the block really inserted, from the
    database's row counts: ``INSERT ... ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=
    True)``) reports only the rows it did not skip, on PostgreSQL and SQLite alike."""
    from django.db import connections

    counted = RowCount()

    def count_inserts(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip()[:6].upper() == "INSERT":
            counted.count += max(context["cursor"].rowcount, 0)
        return result

    with connections[using].execute_wrapper(count_inserts):
        yield counted


def registry() -> CollectorRegistry:
    """What this process should expose: every process's samples in multiprocess mode, else its own."""
    if not MULTIPROC_DIR:
        return REGISTRY
    aggregated = CollectorRegistry()
    multiprocess.MultiProcessCollector(aggregated, path=MULTIPROC_DIR)
    return aggregated


def start_metrics_server(port: int, address: str = "0.0.0.0") -> None:  # noqa: S104 - a container port
    """Serve ``/metrics`` on its own port from a background thread (Celery workers have no HTTP
    server of their own). Under the prefork pool the tasks run in child processes: their samples
    reach this server only in multiprocess mode."""
    start_http_server(port, addr=address, registry=registry())
