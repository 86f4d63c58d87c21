"""Celery signal handlers that keep the outbox rows of running tasks up to date (see services; a run
claims its row in :mod:`outbox.task_base`)."""

import logging
from datetime import datetime

from billiard.exceptions import WorkerLostError
from celery import signals
from celery.exceptions import Retry
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


def _bookkeep(action, **kwargs) -> None:
    """Run an outbox update from the worker; a database connection that was cut (a restart, a
    failover, an operator's ``pg_terminate_backend``) is replaced once. Each update is idempotent,
    so trying it again is safe; if the database is still down the row stays as it was, and the
    drain sends the task again once it is due (a delay, never a loss)."""
    try:
        action(**kwargs)
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        try:
            action(**kwargs)
        except (OperationalError, InterfaceError) as exc:
            logger.warning("outbox bookkeeping %s(%s) failed: %s", action.__name__, kwargs, exc)


@signals.task_success.connect(weak=False)
def task_succeeded(sender=None, **kwargs) -> None:
    outbox_id = services.outbox_id_of(getattr(sender, "request", None))
    if outbox_id is not None:
        _bookkeep(services.outbox_done, outbox_id=outbox_id)


def retry_countdown(reason) -> float:
    """Seconds until the retry runs: its own countdown or ETA (0 when it has none)."""
    when = getattr(reason, "when", None) if isinstance(reason, Retry) else None
    if isinstance(when, datetime):
        return max(0.0, (when - timezone.now()).total_seconds())
    return max(0.0, float(when or 0))


@signals.task_retry.connect(weak=False)
def task_retried(sender=None, request=None, reason=None, **kwargs) -> None:
    outbox_id = services.outbox_id_of(request)
    if outbox_id is None or reason is None:
        # No reason: the worker's main process cancelled the task when it lost the broker. That
        # process forks the pool's children and must not open database connections; the row is
        # due when the task's time limit has passed, as for a task whose worker died.
        return
    _bookkeep(services.outbox_retrying, outbox_id=outbox_id, countdown=retry_countdown(reason))


@signals.task_failure.connect(weak=False)
def task_failed(sender=None, exception=None, **kwargs) -> None:
    if isinstance(exception, WorkerLostError):
        return  # reported by the main process; the row is due when the time limit has passed
    outbox_id = services.outbox_id_of(getattr(sender, "request", None))
    if outbox_id is not None:
        _bookkeep(services.outbox_failed, outbox_id=outbox_id)


@signals.worker_ready.connect(weak=False)
def worker_ready(sender=None, **kwargs) -> None:
    """What this worker was running when it last died is sent again at once (under the same name)."""
    from .tasks import outbox_drain_task

    services.enqueue_transient(outbox_drain_task, worker=getattr(sender, "hostname", "") or "")
