"""Periodic presence sweep of live audio rooms (see ``services.presence_sweep``)."""

from celery import shared_task

from .services import presence_sweep


@shared_task(name="rooms.sweep_presence", soft_time_limit=50, time_limit=60)
def sweep_presence_task() -> int:
    return presence_sweep()
