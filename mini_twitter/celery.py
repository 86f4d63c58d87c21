"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings")

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
