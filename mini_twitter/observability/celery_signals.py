"""Celery signal handlers, connected when the Celery app is imported (web processes and workers):

- the request id travels from the publishing request or task to the task in a message header, and is
  the current request id while the task runs, so its log lines carry it (inline tasks keep the
  request's own);
- every task run is counted by outcome and timed (``mini_twitter_celery_tasks_total``,
  ``mini_twitter_celery_task_duration_seconds``);
- a worker serves its metrics on ``WORKER_METRICS_PORT`` once it is ready;
- worker and beat processes keep Django's ``LOGGING`` instead of Celery's own handlers.
"""

import logging
import time
from contextvars import Token

from celery import signals

from . import metrics
from .context import request_id_var

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "request_id"

# task id -> [(start time, request id token)], pushed at prerun and popped at postrun (a list: an
# inline retry runs again under the same id inside the first run).
_running: dict[str, list[tuple[float, Token | None]]] = {}


@signals.before_task_publish.connect(weak=False)
def add_request_id_header(headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


@signals.task_prerun.connect(weak=False)
def task_started(task_id=None, task=None, **kwargs) -> None:
    request_id = None
    if task is not None:
        # A worker puts message headers on the request; ``apply(headers=...)`` keeps them apart.
        request_id = task.request.get(REQUEST_ID_HEADER) or (task.request.get("headers") or {}).get(REQUEST_ID_HEADER)
    # A task run inline has no header: it keeps the current (request's) id.
    token = request_id_var.set(str(request_id)) if request_id else None
    _running.setdefault(task_id, []).append((time.perf_counter(), token))


@signals.task_postrun.connect(weak=False)
def task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    runs = _running.get(task_id) or [(None, None)]
    started, token = runs.pop()
    if not runs:
        _running.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    metrics.CELERY_TASKS.labels(task=name, state=(state or "unknown").lower()).inc()
    if started is not None:
        metrics.CELERY_TASK_DURATION.labels(task=name).observe(time.perf_counter() - started)
    if token is not None:
        request_id_var.reset(token)


@signals.worker_ready.connect(weak=False)
def start_worker_metrics_server(**kwargs) -> None:
    from django.conf import settings

    if settings.WORKER_METRICS_PORT:
        metrics.start_metrics_server(settings.WORKER_METRICS_PORT, settings.WORKER_METRICS_ADDRESS)
        logger.info(
            "worker metrics on port %s (%s)",
            settings.WORKER_METRICS_PORT,
            "multiprocess" if metrics.MULTIPROC_DIR else "this process only",
        )


@signals.setup_logging.connect(weak=False)
def use_django_logging(**kwargs) -> None:
    """A receiver here tells Celery not to install its own handlers: worker and beat log through
    Django's ``LOGGING`` (JSON lines with request ids; the level is ``LOG_LEVEL``)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
