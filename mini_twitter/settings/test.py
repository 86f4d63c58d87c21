"""Test settings (``pytest.ini``; the servers and workers the tests start get them too): the shared
settings with fast password hashing and Celery tasks run inline (unless a test starts a worker), on
plain HTTP as in development."""

import os

from mini_twitter.settings.base import *  # noqa: F403
from mini_twitter.settings.base import DATABASES, REST_FRAMEWORK, env_bool, env_list

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# Tests, and the servers and workers they start, run on the development key unless given one.
SECRET_KEY_MISSING = False

# SQLite's test database in memory, named so: pytest-django recognises an unnamed one only under
# Django's own engine (not django-prometheus's), and would give each xdist worker a file beside the
# database instead. (PostgreSQL: test_<name>, test_<name>_gw0 per worker in a parallel run.)
if DATABASES["default"]["ENGINE"].endswith(".sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}

# Hashing strength is not under test; speed is.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Inline even with a broker, except in the workers that the live tests start (their process gets
# CELERY_TASK_ALWAYS_EAGER=false, so the tasks they send go through the broker as well).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)

# A live test stretches the fan-out batches of the worker it starts, to kill it in the middle of one:
# that worker imports tests/support/slow_fanout.py. The live broker tests' workers run the tasks of
# tests/support/broker_tasks.py.
CELERY_IMPORTS = [
    module
    for module, wanted in (
        ("tests.support.slow_fanout", os.environ.get("TIMELINE_FANOUT_BATCH_DELAY")),
        ("tests.support.broker_tasks", os.environ.get("TEST_BROKER_TASKS")),
    )
    if wanted
]

# The test client sends JSON unless told otherwise.
REST_FRAMEWORK = {**REST_FRAMEWORK, "TEST_REQUEST_DEFAULT_FORMAT": "json"}
