"""Periodic presence sweep of live audio rooms (see ``services.presence_sweep``), and leaving the
rooms a new block ends (``services.rooms_leave_across_block``)."""

from celery import shared_task

from .services import presence_sweep, rooms_leave_across_block


@shared_task(name="rooms.sweep_presence", soft_time_limit=50, time_limit=60)
def sweep_presence_task() -> int:
    return presence_sweep()


@shared_task(name="rooms.leave_across_block", soft_time_limit=50, time_limit=60)
def leave_across_block_task(*, user_ids: list[int]) -> int:
    return rooms_leave_across_block(user_ids=user_ids)
