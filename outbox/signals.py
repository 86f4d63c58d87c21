"""Celery signal handlers that keep the outbox rows of running tasks up to date (see services)."""

from celery import signals
from django.conf import settings

from . import services


@signals.task_prerun.connect(weak=False)
def task_started(task=None, **kwargs) -> None:
    outbox_id = services.outbox_id_of(getattr(task, "request", None))
    if outbox_id is None or task.request.is_eager:
        return
    limit = task.time_limit or task.app.conf.task_time_limit or settings.CELERY_TASK_TIME_LIMIT
    services.outbox_started(outbox_id=outbox_id, worker=task.request.hostname or "", time_limit=float(limit))


@signals.task_success.connect(weak=False)
def task_succeeded(sender=None, **kwargs) -> None:
    outbox_id = services.outbox_id_of(getattr(sender, "request", None))
    if outbox_id is not None:
        services.outbox_done(outbox_id=outbox_id)


@signals.task_retry.connect(weak=False)
def task_retried(sender=None, request=None, **kwargs) -> None:
    outbox_id = services.outbox_id_of(request)
    if outbox_id is not None:
        countdown = getattr(sender, "retry_backoff_max", None) or getattr(sender, "default_retry_delay", 0) or 0
        services.outbox_retrying(outbox_id=outbox_id, countdown=float(countdown))


@signals.worker_ready.connect(weak=False)
def worker_ready(sender=None, **kwargs) -> None:
    """What this worker was running when it last died is sent again at once (under the same name)."""
    from .tasks import outbox_drain_task

    services.enqueue_transient(outbox_drain_task, worker=getattr(sender, "hostname", "") or "")
