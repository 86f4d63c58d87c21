"""Sending Celery tasks from writes without losing them.

``enqueue_on_commit(task, **kwargs)`` records the task in the outbox inside the current transaction
(so it exists exactly when the write does) and sends it to the broker after commit; the row goes
once the task has succeeded. What the broker loses (a Redis that comes back empty), what a killed
worker was running, and what failed for good is sent again by :func:`outbox_drain` (a beat task, and
every worker when it starts), so an acknowledged write's consequences are delayed at worst, never
lost. Tasks are idempotent, so a task sent twice changes nothing.

When the broker is down, a request neither waits nor runs the task itself: the row is due at once
and the first drain after the broker is back sends it.

``run_on_commit`` is the same with the task run at once in this process after commit (the request's
own effect is visible before its response) and sent to the broker only if that fails.
``enqueue_transient`` is for work that is redone anyway when lost (a timeline rebuild asked for by a
read), which needs no outbox row.

Without a broker (``task_always_eager``: the embedded default and the test suite) tasks run inline
after commit and there is nothing to lose, so no row is written.
"""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from amqp.exceptions import AMQPError, MessageNacked
from celery import current_app
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import KombuError

from mini_twitter.observability import metrics

from .models import OutboxTask

logger = logging.getLogger(__name__)

# ConnectionError and TimeoutError are OSErrors too; kombu's OperationalError is a KombuError. On
# RabbitMQ, a publish the broker refuses to confirm (confirm_publish) raises MessageNacked, and a
# channel error (a queue declared differently, a full queue) an AMQPError.
BROKER_ERRORS = (KombuError, OSError, AMQPError, MessageNacked)
HEADER = "outbox_id"
MAX_BACKOFF = timedelta(hours=1)


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _queued_for() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_RESEND_QUEUED_SECONDS)


def _publish(task, kwargs: dict, outbox_id: int | None) -> bool:
    try:
        task.apply_async(kwargs=kwargs, headers={HEADER: outbox_id} if outbox_id else None)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable (%s): %s not queued", exc, task.name)
        return False
    return True


def _run_here(task, kwargs: dict, outbox_id: int | None) -> bool:
    """One run of the task in this process (no retries here: the outbox retries); the row goes on
    success."""
    try:
        task(**kwargs)
    except Exception:
        logger.warning("%s failed in-process; left to the outbox", task.name, exc_info=True)
        return False
    if outbox_id is not None:
        try:
            # One DELETE: the row has no relations and no signals, so Django's collector (and
            # the transaction it opens) has nothing to do.
            rows = OutboxTask.objects.filter(pk=outbox_id)
            rows._raw_delete(rows.db)
        except DatabaseError:
            # Done, and committed: the row left behind only means one harmless run more, later.
            logger.warning("outbox row %s of %s not deleted", outbox_id, task.name, exc_info=True)
    return True


# The rows of the innermost open ``batched()`` block, written together when it ends.
_pending: ContextVar[list[OutboxTask] | None] = ContextVar("outbox_pending", default=None)


def _record(task, kwargs: dict) -> OutboxTask:
    """The task's outbox row: written now, or with the others of an open ``batched()`` block (its
    id is read after commit, when it is set either way)."""
    row = OutboxTask(name=task.name, kwargs=kwargs, due_at=timezone.now() + _queued_for())
    pending = _pending.get()
    if pending is None:
        row.save()
    else:
        pending.append(row)
    return row


@contextmanager
def batched():
    """Within the block, the rows ``enqueue_on_commit`` and ``run_on_commit`` record are written in
    one INSERT when it ends, rather than one each. The block must end inside the transaction
    (``with transaction.atomic(), batched():``); if it raises, nothing is written."""
    token = _pending.set([])
    try:
        yield
        rows = _pending.get()
    finally:
        _pending.reset(token)
    if rows:
        OutboxTask.objects.bulk_create(rows)


def enqueue_on_commit(task, /, **kwargs) -> None:
    """Send ``task(**kwargs)`` after the current transaction commits (at once outside one). When
    the broker can't be reached, the task is due at once: the first drain after the broker is back
    sends it (the request neither waits for it nor runs it)."""
    if _eager():
        transaction.on_commit(lambda: task.apply_async(kwargs=kwargs))
        return
    row = _record(task, kwargs)

    def send() -> None:
        if not _publish(task, kwargs, row.pk):
            _due_now([row.pk])

    transaction.on_commit(send)


def _due_now(outbox_ids: list[int]) -> None:
    try:
        OutboxTask.objects.filter(pk__in=outbox_ids).update(due_at=timezone.now())
    except DatabaseError:
        logger.warning("outbox rows %s stay due later", outbox_ids, exc_info=True)


def run_on_commit(task, /, **kwargs) -> None:
    """Run ``task(**kwargs)`` in this process right after commit; if it fails, send it to the
    broker (a worker retries it), and if that fails too, the drain sends it later."""
    if _eager():

        def run_inline() -> None:
            if not _run_here(task, kwargs, None):
                task.apply_async(kwargs=kwargs)

        transaction.on_commit(run_inline)
        return
    row = _record(task, kwargs)

    def run() -> None:
        if not _run_here(task, kwargs, row.pk) and not _publish(task, kwargs, row.pk):
            _due_now([row.pk])

    transaction.on_commit(run)


def enqueue_transient(task, /, **kwargs) -> None:
    """Send a task whose loss costs nothing (it is asked for again); never runs it inline."""
    _publish(task, kwargs, None)


def _backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, _queued_for() * 2 ** max(0, attempts - 1))


def outbox_drain(*, worker: str = "", limit: int = 500) -> int:
    """Send again the tasks that are due: queued longer than ``OUTBOX_RESEND_QUEUED_SECONDS``
    (the broker lost them), started longer ago than their time limit (their worker died), or failed.
    ``worker``: a worker that has just started; what it was running is due at once. Each row is
    taken by one drain (rows locked by another are skipped) and waits longer after each resend.
    Returns how many were sent."""
    now = timezone.now()
    if worker:
        OutboxTask.objects.filter(worker=worker).update(due_at=now)
    with transaction.atomic():
        rows = list(
            OutboxTask.objects.select_for_update(skip_locked=True).filter(due_at__lte=now).order_by("due_at")[:limit]
        )
        for row in rows:
            row.attempts += 1
            row.due_at = now + _backoff(row.attempts)
            row.worker = ""
        OutboxTask.objects.bulk_update(rows, ["attempts", "due_at", "worker"])
    sent = 0
    for index, row in enumerate(rows):
        task = current_app.tasks.get(row.name)
        if task is None:
            logger.error("outbox task %s: no task named %s", row.pk, row.name)
            continue
        logger.warning("sending %s again (outbox row %s, attempt %s)", row.name, row.pk, row.attempts)
        if not _publish(task, row.kwargs, row.pk):
            # The broker is down: what was not sent is due again at once, its attempt not counted.
            unsent = [other.pk for other in rows[index:]]
            OutboxTask.objects.filter(pk__in=unsent).update(due_at=now, attempts=F("attempts") - 1)
            break
        sent += 1
    if sent:
        metrics.OUTBOX_RESENT.inc(sent)
    return sent


# --- Bookkeeping from the worker (Celery signals, see signals.py) ------------------------------


def outbox_id_of(request) -> int | None:
    """The outbox row a running task was sent for (a message header)."""
    if request is None:
        return None
    value = request.get(HEADER) or (request.get("headers") or {}).get(HEADER)
    return int(value) if value else None


def outbox_claim(*, outbox_id: int, worker: str, time_limit: float) -> bool:
    """Take the row for a run by ``worker``: due again only once that run can no longer be going on
    (its hard time limit). False when the row is gone (the task was done) or another run holds it."""
    now = timezone.now()
    due = now + timedelta(seconds=time_limit + settings.OUTBOX_STARTED_GRACE_SECONDS)
    free = Q(worker="") | Q(due_at__lte=now)
    return bool(OutboxTask.objects.filter(free, pk=outbox_id).update(worker=worker, due_at=due))


def outbox_retrying(*, outbox_id: int, countdown: float) -> None:
    """Retried later by its worker: due again if that retry is lost too."""
    due = timezone.now() + timedelta(seconds=countdown) + _queued_for()
    OutboxTask.objects.filter(pk=outbox_id).update(worker="", due_at=due)


def outbox_failed(*, outbox_id: int) -> None:
    """Failed for good (its own retries spent): due again after the drain's growing delay, so a
    task that keeps failing costs one run an hour at most, and an outage it failed on is retried."""
    attempts = OutboxTask.objects.filter(pk=outbox_id).values_list("attempts", flat=True).first()
    if attempts is not None:
        due = timezone.now() + _backoff(attempts + 1)
        OutboxTask.objects.filter(pk=outbox_id).update(worker="", due_at=due)


def outbox_done(*, outbox_id: int) -> None:
    OutboxTask.objects.filter(pk=outbox_id).delete()
