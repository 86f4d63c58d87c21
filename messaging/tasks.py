"""Celery tasks of direct messages: notifying a new message. Thin and idempotent (see ``notify``)."""

from celery import shared_task

from notifications.tasks import NOTIFY_OPTIONS

from .notify import message_notify


# The name predates the task's move here: outbox rows and queued messages carry it.
@shared_task(name="notifications.notify_message", **NOTIFY_OPTIONS)
def notify_message_task(*, message_id: int) -> None:
    """A new direct message: the conversation's other participants."""
    message_notify(message_id=message_id)
