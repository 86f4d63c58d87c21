"""Development settings: the shared settings with ``DEBUG`` on unless ``DEBUG`` says otherwise.
Without ``DATABASE_URL`` and ``REDIS_URL`` they are the embedded setup ``make run`` serves: SQLite
under ``var/``, an in-process cache, Celery tasks run inline, emails printed to the console."""

import os

# Before the shared settings read it: they derive the default allowed hosts, the browsable API and
# readable logs from it.
os.environ.setdefault("DEBUG", "true")

from mini_twitter.settings.base import *  # noqa: F403
