"""Database connections of the production processes on PostgreSQL: the web server, started with
docker-compose.yml's command line (gunicorn, two sync worker processes), holds one connection per
worker under load; the stream server (uvicorn) stays within its pool's bounds; and a prefork Celery
worker's child keeps one connection from one task to the next.

Run these alone with ``pytest -m web_server``."""

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from notifications.models import Notification
from posts.tests.factories import PostFactory
from tests.support import compose_command, wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]


def get(url: str, headers: dict | None = None, body: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={**(headers or {}), **({"Content-Type": "application/json"} if body is not None else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def workers(service: str) -> int:
    [option] = [argument for argument in compose_command(service) if argument.startswith("--workers=")]
    return int(option.removeprefix("--workers="))


def server_backends(application_name: str) -> list[int]:
    """The process ids of the server's connections to the test database, as PostgreSQL lists them
    (the test's own connection has another application name)."""
    params = {**connection.get_connection_params()}
    kwargs = {key: params[key] for key in ("host", "port", "user", "password", "dbname") if params.get(key) is not None}
    with psycopg.connect(**kwargs, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            [application_name],
        ).fetchall()
    return [pid for (pid,) in rows]


def server_connections(application_name: str) -> int:
    return len(server_backends(application_name))


@pytest.mark.parametrize(
    ("kind", "service", "connections_per_worker"),
    [
        ("production", "web", 1),  # a sync worker serves one request at a time: its pool never opens a second
        ("stream", "stream", 3),  # DATABASE_POOL_MAX_SIZE below: threads share the process's pool
    ],
)
def test_a_thousand_concurrent_requests_stay_within_the_database_pools(
    live_services, kind, service, connections_per_worker
):
    pool_max = 3
    processes = workers(service)
    assert processes == {"web": 2, "stream": 1}[service]  # the production command lines
    application_name = f"mt-test-{service}-pool"
    users = UserFactory.create_batch(8)
    PostFactory.create_batch(5, author=users[0])
    tokens = [str(AccessToken.for_user(user)) for user in users]
    env = {
        "DATABASE_APPLICATION_NAME": application_name,
        "DATABASE_POOL_MAX_SIZE": str(pool_max),
        "THROTTLE_RATE_ANON": "100000/min",
        "THROTTLE_RATE_USER": "100000/min",
    }
    peak = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.wait(0.05):
            peak = max(peak, server_connections(application_name))

    with live_services.web_server(kind=kind, extra_env=env) as server:
        base = server.base

        def call(i: int) -> int:
            path = "/api/users/me/" if i % 2 else "/api/posts/"
            status, _ = get(f"{base}{path}", {"Authorization": f"Bearer {tokens[i % len(tokens)]}"})
            return status

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(max_workers=32) as executor:
                statuses = Counter(executor.map(call, range(1000)))
        finally:
            done.set()
            watcher.join(timeout=10)
        after = server_connections(application_name)

    assert statuses == Counter({200: 1000})
    assert 0 < after <= processes * connections_per_worker
    assert peak <= processes * connections_per_worker


def test_a_prefork_worker_child_keeps_one_connection_from_task_to_task(live_services, client_for):
    application_name = "mt-test-worker-connections"
    author = UserFactory()
    mentioned = UserFactory.create_batch(4)
    peak = 0
    backends = set()
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.wait(0.02):
            seen = server_backends(application_name)
            peak = max(peak, len(seen))
            backends.update(seen)

    env = {"DATABASE_APPLICATION_NAME": application_name}
    watcher = threading.Thread(target=watch)
    with live_services.celery_worker(extra_env=env, pool="prefork"):
        watcher.start()
        try:
            for user in mentioned:
                response = client_for(author).post("/api/posts/", {"content": f"hi @{user.username}"}, format="json")
                assert response.status_code == 201
            wait_for(lambda: Notification.objects.filter(type="mention").count() == len(mentioned), timeout=30)
            # Between tasks the child keeps its connection for the next one.
            assert server_connections(application_name) == 1
        finally:
            done.set()
            watcher.join(timeout=10)
    assert peak <= 1  # --concurrency=1: one child; the main process opens none
    assert len(backends) == 1  # the same connection for every task, not a new one per task
