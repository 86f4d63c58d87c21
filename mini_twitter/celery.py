"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery, signals

# The package imports this module first: its default is the servers' too (manage.py sets its own
# before).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings.production")

# Every task claims its outbox row before it runs (outbox/task_base.py).
app = Celery("mini_twitter", task_cls="outbox.task_base:OwedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids, task metrics, the workers' metrics endpoint and logging (signal handlers).
from mini_twitter.observability import celery_signals  # noqa: E402, F401


@signals.worker_init.connect(weak=False)
@signals.beat_init.connect(weak=False)
def refuse_to_start_without_secret_key(**kwargs) -> None:
    from mini_twitter.checks import refuse_to_start_without_secret_key as refuse

    refuse()


@signals.task_prerun.connect(weak=False)
@signals.task_postrun.connect(weak=False)
def close_old_database_connections(sender=None, **kwargs) -> None:
    """Around every task, what Django does around a request: close a connection that is unusable (an
    error left it broken) or older than CONN_MAX_AGE, and keep the others for the next task. Not for
    a task run inline, which runs inside its caller's work (and transaction)."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
