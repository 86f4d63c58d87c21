"""The Celery application, configured from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mini_twitter.settings")

app = Celery("mini_twitter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids, task metrics, the workers' metrics endpoint and logging (signal handlers).
from mini_twitter.observability import celery_signals  # noqa: E402, F401
