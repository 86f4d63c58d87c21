"""What notifications do when a lower layer announces an event (connected in ``apps``)."""

from outbox.services import enqueue_on_commit

from .tasks import notify_follow_request_task, notify_follow_task


def follow_created_notify(sender, *, follow, requested: bool = False, **kwargs) -> None:
    """Sent inside the follow's transaction: the task is owed exactly when the follow is stored. An
    approved request notified when it was made: its notification stays the only one."""
    if not requested:
        enqueue_on_commit(notify_follow_task, follow_id=follow.pk)


def follow_requested_notify(sender, *, follow_request, **kwargs) -> None:
    """Sent inside the request's transaction."""
    enqueue_on_commit(
        notify_follow_request_task, actor_id=follow_request.requester_id, recipient_id=follow_request.target_id
    )
