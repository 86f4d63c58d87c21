"""Helpers for the tests, outside the application: tests that run against live services (a real
Celery worker on the Redis broker, the web servers, a local SMTP sink) and the small tools every
suite uses."""

from tests.support.compose import compose_command, local_command
from tests.support.helpers import (
    clear_cache,
    free_port,
    redis_cluster_unavailable_reason,
    redis_cluster_url,
    redis_unavailable_reason,
    run_in_threads,
    skip_unless_available,
    wait_for,
)
from tests.support.mail import SMTPSink, message_text
from tests.support.servers import (
    LiveServices,
    RunningServer,
    running_server,
    server_command,
    stop,
)

__all__ = [
    "LiveServices",
    "RunningServer",
    "SMTPSink",
    "clear_cache",
    "compose_command",
    "free_port",
    "local_command",
    "message_text",
    "redis_cluster_unavailable_reason",
    "redis_cluster_url",
    "redis_unavailable_reason",
    "run_in_threads",
    "running_server",
    "server_command",
    "skip_unless_available",
    "stop",
    "wait_for",
]
