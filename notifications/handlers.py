"""What notifications do when a lower layer announces an event (connected in ``apps``)."""

from outbox.services import enqueue_on_commit

from .tasks import notify_follow_task


def follow_created_notify(sender, *, follow, **kwargs) -> None:
    """Sent inside the follow's transaction: the task is owed exactly when the follow is stored."""
    enqueue_on_commit(notify_follow_task, follow_id=follow.pk)
