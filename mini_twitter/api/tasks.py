"""Enqueueing Celery tasks from request code without losing work when the broker is down.

``enqueue_on_commit(task, **kwargs)`` sends the task after the current transaction commits. If the
broker can't be reached, the task runs inline instead (it is idempotent, like every task here), so a
Redis outage slows a request down rather than failing it or dropping the notification it owes.
"""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# ConnectionError and TimeoutError are OSErrors too.
BROKER_ERRORS = (OperationalError, OSError)


def enqueue(task, **kwargs) -> None:
    try:
        task.apply_async(kwargs=kwargs)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable (%s): running %s inline", exc, task.name)
        try:
            task.apply(kwargs=kwargs)
        except Exception:
            logger.exception("%s failed inline", task.name)


def enqueue_on_commit(task, **kwargs) -> None:
    transaction.on_commit(lambda: enqueue(task, **kwargs))
