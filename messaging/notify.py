"""What messaging tells notifications and the sockets about a new message: the other current
participants (not those who left) get a ``message`` notification, pushed after the message itself."""

from notifications.services import notification_create_message
from realtime.events import push

from .models import Message
from .selectors import message_get, participant_list_active
from .serializers import MessageSerializer


def message_push(*, message_id: int, recipient_ids: list[int]) -> None:
    """A new direct message, as the REST API shows it, to the recipients' event sockets."""
    push(recipient_ids, "message", MessageSerializer(message_get(message_id=message_id)).data)


def message_notify(*, message_id: int) -> int:
    """Notify the other current participants of a conversation of a new message; returns how many
    were notified now (a rerun notifies and pushes nothing)."""
    message = Message.objects.filter(pk=message_id).values("sender_id", "conversation_id").first()
    if message is None:
        return 0  # deleted with its conversation or its sender
    recipient_ids = list(
        participant_list_active()
        .filter(conversation_id=message["conversation_id"])
        .exclude(user_id=message["sender_id"])
        .values_list("user_id", flat=True)
    )
    return notification_create_message(
        actor_id=message["sender_id"],
        recipient_ids=recipient_ids,
        message_id=message_id,
        conversation_id=message["conversation_id"],
        # The message frame goes first, and only to those notified now.
        before_push=lambda fresh: message_push(message_id=message_id, recipient_ids=fresh),
    )
