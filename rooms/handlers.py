"""What rooms do when a lower layer announces an event (connected in ``apps``)."""

from outbox.services import run_on_commit

from .tasks import leave_across_block_task


def block_created_leave_rooms(sender, *, block, **kwargs) -> None:
    """Sent inside the block's transaction: right after commit, before the response, whichever of
    the two is in a live room the other hosts leaves it."""
    run_on_commit(leave_across_block_task, user_ids=[block.blocker_id, block.blocked_id])
