"""The outbox drain, run by beat every ``OUTBOX_DRAIN_SECONDS`` and by every worker as it starts."""

from celery import shared_task

from . import services


@shared_task(name="outbox.drain", ignore_result=True, soft_time_limit=60, time_limit=90)
def outbox_drain_task(*, worker: str = "") -> int:
    return services.outbox_drain(worker=worker)
