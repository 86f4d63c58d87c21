"""Processes the live tests start: web servers (docker-compose.yml's ``web`` and ``stream``
command lines, daphne) and Celery workers, on the test database and Redis, with the test settings."""

import os
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from tests.support.compose import COMPOSE_FILE, local_command
from tests.support.helpers import free_port, redis_unavailable_reason, wait_for
from tests.support.router import path_router

BASE_DIR = COMPOSE_FILE.parent
# The settings of every process the tests start.
SETTINGS_MODULE = "mini_twitter.settings.test"


def server_command(kind: str, port: int) -> list[str]:
    """The command line of a web server on ``127.0.0.1:port``: ``"production"`` is the HTTP server
    as docker-compose.yml's ``web`` starts it (gunicorn, its workers and options included),
    ``"stream"`` its ``stream`` service (uvicorn: the sockets and the Mastodon API's streams),
    ``"uvicorn"`` the same in one process, ``"daphne"`` the server ``make run`` uses."""
    if kind == "production":
        return local_command("web", port)
    if kind == "stream":
        return local_command("stream", port)
    if kind == "uvicorn":
        # One process: what a test of in-process state, such as the audio rooms' presence timers, needs.
        return local_command("stream", port, drop=("--workers=",))
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mini_twitter.asgi:application"]
    raise ValueError(f"unknown server kind {kind!r}")


class ProductionSite:
    def __init__(self, base: str, web: "RunningServer", stream: "RunningServer"):
        self.base, self.web, self.stream = base, web, stream

    def log_text(self) -> str:
        return self.web.log_text() + self.stream.log_text()


class RunningServer:
    def __init__(self, process: subprocess.Popen, port: int, log_path: Path):
        self.process, self.port, self.log_path = process, port, log_path
        self.base = f"http://127.0.0.1:{port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_server(kind: str, env: dict, log_path: Path, ready_timeout: float = 60):
    """Run a web server of ``kind`` (:func:`server_command`) with exactly ``env``, its output in the
    file ``log_path`` (a pipe nobody reads would stall it), until ``/healthz`` answers 200; yields a
    :class:`RunningServer`. On leaving, it is terminated, and killed if it won't stop."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            server_command(kind, port), cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    server = RunningServer(process, port, log_path)

    def up() -> bool:
        if process.poll() is not None:
            return True
        try:
            return urllib.request.urlopen(f"{server.base}/healthz", timeout=2).status == 200  # noqa: S310 - loopback
        except OSError:
            return False

    try:
        wait_for(up, timeout=ready_timeout)
        if process.poll() is not None:
            raise AssertionError(f"{kind} server exited:\n{server.log_text()}")
        yield server
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a server or worker the tests started: politely, then by force."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class LiveServices:
    def unavailable_reason(self) -> str | None:
        if not settings.IS_POSTGRES:
            return "DATABASE_URL is not PostgreSQL (a worker process cannot share an in-memory test database)"
        return redis_unavailable_reason()

    def test_database_url(self) -> str:
        db = connection.settings_dict
        auth = db["USER"] or ""
        if db.get("PASSWORD"):
            auth += f":{db['PASSWORD']}"
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{auth}@{host}:{port}/{db['NAME']}"

    workers_started = 0

    @contextmanager
    def celery_worker(
        self,
        *,
        queues: tuple[str, ...] | None = None,
        extra_env: dict | None = None,
        purge: bool = True,
        pool: str = "solo",
    ):
        """Start ``celery worker`` in a subprocess on the test database and the broker of this
        process's Celery app (Redis, or RabbitMQ under ``celery_on_broker``) and its queues, with
        tasks sent from this process going to it (not run inline) while the block runs.

        The queues (and the broker's unacknowledged tasks) are emptied first unless ``purge`` is
        false, as for a worker that takes over from one that was killed; ``pool="prefork"`` runs the
        tasks in a child process, as in production. The yielded ``Popen`` has
        ``log_path`` and ``log_text()``; ``kill()`` stops the worker at once (SIGKILL)."""
        from mini_twitter.celery import app

        email_queue = (app.conf.task_routes or {}).get("*.send_*_email*", {}).get("queue", settings.CELERY_EMAIL_QUEUE)
        queues = queues or (app.conf.task_default_queue, email_queue)
        if purge:
            self.purge(queues)
        LiveServices.workers_started += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_BROKER_URL": app.conf.broker_url,
            "CELERY_DEFAULT_QUEUE": app.conf.task_default_queue,
            "CELERY_EMAIL_QUEUE": email_queue,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            # As docker-compose.yml runs it: no pool, a persistent connection (CONN_MAX_AGE).
            "DATABASE_POOL": "false",
            # Tasks that tasks send go through the broker too (to their queue), not inline.
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **(extra_env or {}),
        }
        log_path = BASE_DIR / "var" / f"test-worker-{os.getpid()}-{LiveServices.workers_started}.log"
        log_path.parent.mkdir(exist_ok=True)
        log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mini_twitter",
                "worker",
                f"--pool={pool}",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                ",".join(queues),
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        previous = app.conf.task_always_eager
        app.conf.task_always_eager = False
        try:
            wait_for(lambda: b"ready" in log_path.read_bytes() or worker.poll() is not None, timeout=60)
            if worker.poll() is not None:
                raise AssertionError(f"celery worker exited:\n{log_path.read_text()}")
            worker.log_path = log_path
            worker.log_text = lambda: log_path.read_text(errors="replace")
            yield worker
        finally:
            app.conf.task_always_eager = previous
            stop(worker)
            log.close()

    @contextmanager
    def web_server(self, *, kind: str = "production", extra_env: dict | None = None):
        """Start a web server of ``kind`` (see :func:`running_server`) on a free loopback port, on the
        test database and Redis; yields it (``base``: its URL, ``log_text()``). The data it should
        see must be committed (``transactional_db``)."""
        env = {
            **os.environ,
            "DATABASE_URL": self.test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "CHANNELS_PREFIX": f"mt-test-{os.getpid()}",
            **(extra_env or {}),
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        LiveServices.workers_started += 1
        log_path = BASE_DIR / "var" / f"test-{kind}-{os.getpid()}-{LiveServices.workers_started}.log"
        with running_server(kind, env, log_path) as server:
            yield server

    @contextmanager
    def production_servers(self, *, extra_env: dict | None = None):
        """What production serves on one origin: the ``web`` and ``stream`` servers behind a path
        router standing in for nginx (:mod:`tests.support.router`); yields a :class:`ProductionSite`
        (``base``: the one origin, ``web`` and ``stream``: the servers)."""
        with (
            self.web_server(kind="stream", extra_env=extra_env) as stream,
            self.web_server(extra_env=extra_env) as web,
            path_router(web.base, stream.base) as base,
        ):
            yield ProductionSite(base, web, stream)

    def purge(self, queues) -> None:
        """Empty the queues; on Redis, the tasks taken and not acknowledged too (RabbitMQ gives
        those back itself when their worker's connection closes)."""
        from mini_twitter.celery import app

        if app.conf.broker_url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(app.conf.broker_url)
            client.delete(*queues, "unacked", "unacked_index")
            return
        with app.connection_for_write() as connection:
            channel = connection.channel()
            for name in queues:
                queue = app.amqp.queues[name].bind(channel)
                queue.declare()
                queue.purge()
