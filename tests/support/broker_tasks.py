"""Tasks for the live broker tests, imported by the Celery worker such a test starts with
``TEST_BROKER_TASKS=1`` (see the test settings): each run appends a JSON line to a file, so the test
sees when it ran and how the broker delivered it."""

import json
import time

from celery import shared_task


def _note(path: str, **facts) -> None:
    with open(path, "a") as log:
        log.write(json.dumps({**facts, "at": time.time()}) + "\n")


@shared_task(name="tests.note", acks_late=True)
def note(*, path: str, value: str) -> None:
    _note(path, value=value)


@shared_task(name="tests.fail_then_succeed", bind=True, acks_late=True, max_retries=5)
def fail_then_succeed(self, *, path: str, value: str, failures: int, countdown: int) -> None:
    """Fails ``failures`` times, each time retried ``countdown`` seconds later, then succeeds."""
    delivery = self.request.delivery_info or {}
    _note(path, value=value, retries=self.request.retries, routing_key=delivery.get("routing_key"))
    if self.request.retries < failures:
        raise self.retry(countdown=countdown)
