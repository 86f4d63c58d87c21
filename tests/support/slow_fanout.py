"""Imported by a Celery worker a live test starts with ``TIMELINE_FANOUT_BATCH_DELAY`` (seconds; see
the test settings): each fan-out batch, adding or removing, waits that long before writing, so that
the test can kill the worker in the middle of one."""

import functools
import os
import time

from posts.feed import fanout

DELAY = float(os.environ["TIMELINE_FANOUT_BATCH_DELAY"])


def _slowed(write):
    @functools.wraps(write)
    def slowed(*args, **kwargs):
        time.sleep(DELAY)
        return write(*args, **kwargs)

    return slowed


fanout.push = _slowed(fanout.push)
fanout.remove = _slowed(fanout.remove)
