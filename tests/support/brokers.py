"""Scaled-out services for the live tests: extra Redis servers (shards) started under a temporary
directory, and this process's Celery app moved to another broker (RabbitMQ)."""

import os
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import redis
from kombu import Connection

from tests.support.helpers import free_port, wait_for


def redis_server_unavailable_reason() -> str | None:
    return None if shutil.which("redis-server") else "redis-server is not installed"


@contextmanager
def redis_servers(count: int, directory: Path):
    """``count`` throwaway Redis servers on loopback (no persistence), each in its own folder under
    ``directory``; yields their URLs. Ports from ``TEST_REDIS_SHARD_PORTS`` (comma-separated) when
    set, free ones otherwise. Stopped (SHUTDOWN NOSAVE, then killed) on leaving."""
    listed = [int(port) for port in os.environ.get("TEST_REDIS_SHARD_PORTS", "").split(",") if port.strip()]
    ports = listed[:count] if len(listed) >= count else [free_port() for _ in range(count)]
    for port in ports:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                raise AssertionError(f"port {port} is taken: a Redis shard for the tests can't start there")
    processes = []
    try:
        for port in ports:
            folder = directory / f"redis-{port}"
            folder.mkdir(parents=True, exist_ok=True)
            options = {"port": port, "bind": "127.0.0.1", "dir": folder, "save": "", "appendonly": "no"}
            command = ["redis-server", *(part for name, value in options.items() for part in (f"--{name}", str(value)))]
            processes.append(
                subprocess.Popen(
                    [*command, "--logfile", str(folder / "redis.log")],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        urls = [f"redis://127.0.0.1:{port}/0" for port in ports]

        def answering() -> bool:
            for url, process in zip(urls, processes, strict=True):
                if process.poll() is not None:
                    raise AssertionError(f"redis-server for {url} exited (port taken?)")
                try:
                    redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
                except redis.RedisError:
                    return False
            return True

        wait_for(answering, timeout=10, interval=0.05)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def amqp_url() -> str:
    """The RabbitMQ the tests use: ``TEST_AMQP_URL``, by default the local server's default vhost."""
    return os.environ.get("TEST_AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"


def amqp_unavailable_reason(url: str) -> str | None:
    try:
        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure means it can't be used
        return f"RabbitMQ is unreachable at {url}: {exc}"
    return None


@contextmanager
def celery_on_broker(app, url: str, *, default_queue: str, email_queue: str):
    """This process's Celery ``app`` sending to the broker at ``url`` with the queues the settings
    give that broker (on RabbitMQ: quorum queues named ``default_queue`` and ``email_queue``), as a
    worker started with ``CELERY_BROKER_URL``, ``CELERY_DEFAULT_QUEUE`` and ``CELERY_EMAIL_QUEUE``
    set to the same would consume. The queues and their exchanges are deleted on leaving."""
    from mini_twitter.settings.scaling import broker_kind, broker_transport_options, task_queues

    kind = broker_kind(url)
    changed = {
        "broker_url": url,
        "broker_transport_options": broker_transport_options(
            kind, visibility_timeout=300, unacked_restore_interval=10, unacked_restore_throttle=10
        ),
        "task_queues": task_queues(kind, [default_queue, email_queue]),
        "task_default_queue": default_queue,
        "task_routes": {"*.send_*_email*": {"queue": email_queue}},
    }
    previous = {name: app.conf[name] for name in changed}

    def reset_connections() -> None:
        # Connection pools for the new broker (kombu keeps each broker's pools, so going back
        # finds the old ones), and new queues, router and producer pool (cached on app.amqp).
        app._pool = None
        app.__dict__.pop("amqp", None)

    app.conf.update(changed)
    reset_connections()
    try:
        yield app
    finally:
        if kind == "amqp":
            with app.connection_for_write() as connection:
                channel = connection.channel()
                for queue in app.amqp.queues.values():
                    queue.bind(channel).delete()
                    queue.exchange.bind(channel).delete()
        reset_connections()
        app.conf.update(previous)
