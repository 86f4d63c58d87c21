"""Helpers for tests that run against live services: a real Celery worker on the Redis broker, the
web servers (uvicorn as docker-compose.yml starts it, gunicorn, daphne) and a local SMTP sink."""

import asyncio
import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


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
    if settings.REDIS_URL:
        from posts.feed import timelines

        with contextlib.suppress(redis.RedisError):  # a test that points REDIS_URL at a dead server
            timelines.clear_all()


def redis_unavailable_reason() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis is unreachable: {exc}"
    return None


def skip_unless_available(problem: str | None, needed_for: str) -> None:
    """Skip a test whose service is missing, except in CI (``CI=true``), where that fails it."""
    import pytest

    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI needs {needed_for}: {problem}")
        pytest.skip(problem)


def production_web_command() -> list[str]:
    """The ``web`` service's command line in docker-compose.yml, ``${VAR:-default}`` at its default."""
    import yaml

    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    command = compose["services"]["web"]["command"]
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", argument) for argument in command]


def server_command(kind: str, port: int) -> list[str]:
    """The command line of a web server on ``127.0.0.1:port``: ``"production"`` is uvicorn as
    docker-compose.yml starts it (:func:`production_web_command`, its workers and proxy options
    included), ``"uvicorn"`` the same in one process, ``"gunicorn"`` the WSGI application,
    ``"daphne"`` the server ``make run`` uses."""
    if kind in ("production", "uvicorn"):
        # "uvicorn": the same in one process (what a test of in-process state, such as the audio
        # rooms' presence timers, needs).
        dropped = ("--host=", "--port=") + (("--workers=",) if kind == "uvicorn" else ())
        options = [argument for argument in production_web_command()[1:] if not argument.startswith(dropped)]
        return [sys.executable, "-m", "uvicorn", *options, "--host=127.0.0.1", f"--port={port}"]
    if kind == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "mini_twitter.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=1",
        ]
    if kind == "daphne":
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "mini_twitter.asgi:application"]
    raise ValueError(f"unknown server kind {kind!r}")


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
        """Start ``celery worker`` in a subprocess on the test database and the Redis broker, with
        tasks sent from this process going to it (not run inline) while the block runs.

        The queues (and the broker's unacknowledged tasks) are emptied first unless ``purge`` is
        false, as for a worker that takes over from one that was killed; ``pool="prefork"`` runs the
        tasks in a child process, as in production. The yielded ``Popen`` has
        ``log_path`` and ``log_text()``; ``kill()`` stops the worker at once (SIGKILL)."""
        from mini_twitter.celery import app

        queues = queues or (settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_EMAIL_QUEUE)
        if purge:
            self.purge(queues)
        LiveServices.workers_started += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MINI_TWITTER_TESTING": "1",
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
            "MINI_TWITTER_TESTING": "1",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "CHANNELS_PREFIX": f"mt-test-{os.getpid()}",
            **(extra_env or {}),
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        LiveServices.workers_started += 1
        log_path = BASE_DIR / "var" / f"test-{kind}-{os.getpid()}-{LiveServices.workers_started}.log"
        with running_server(kind, env, log_path) as server:
            yield server

    def purge(self, queues) -> None:
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete(*queues, "unacked", "unacked_index")


class SMTPSink:
    """A local SMTP server that keeps every message it receives.

    With ``hold_first``, the first message is held: the sender waits for the server's answer until
    ``release()``, then gets a temporary failure and the message is not kept (``held`` is set
    while the sender waits). ``attempts`` counts every message sent, held or not."""

    def __init__(self, *, hold_first: bool = False):
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.attempts = 0
        self.held = threading.Event()
        self.released = threading.Event()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.attempts += 1
                if hold_first and sink.attempts == 1:
                    sink.held.set()
                    while not sink.released.is_set():
                        await asyncio.sleep(0.05)
                    return "451 Held by the test and dropped"
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.controller.stop()

    def release(self) -> None:
        self.released.set()

    @property
    def env(self) -> dict[str, str]:
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port)}


def message_text(message: Message) -> str:
    """The plain-text part of an email."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""
