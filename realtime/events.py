"""Pushing events to users' sockets, from synchronous code (views, services, Celery tasks).

Frames go through the channel layer (Redis when ``REDIS_URL`` is set, so a worker process reaches
sockets held by the web processes; in memory otherwise, where tasks run inline in the web process).
Callers push after commit, so nothing is pushed that was rolled back.
"""

import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# The close code of a socket whose token is refused, or whose session or account is revoked.
CLOSE_AUTH_FAILED = 4001


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def user_sockets_group(user_id: int) -> str:
    """Every authenticated socket of the user, events and rooms alike (closed when the password is set)."""
    return f"sockets.user.{user_id}"


def session_sockets_group(sid: str) -> str:
    """The sockets opened with the access tokens of one login session (closed at its logout)."""
    return f"sockets.session.{sid}"


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("could not send %s to %s", message["type"], group)


def send_to_group(group: str, frame: dict) -> None:
    """A frame the server made; each socket makes its file URLs absolute for its own site."""
    _group_send(group, {"type": "push.frame", "frame": frame, "server": True})


def push(user_ids: Iterable[int], type_: str, data) -> None:
    for user_id in dict.fromkeys(user_ids):
        send_to_group(user_group(user_id), {"type": type_, "data": data})


def close_group(group: str, code: int = 1000) -> None:
    _group_send(group, {"type": "close.socket", "code": code})


def unread_counts(user_id: int) -> dict[str, int]:
    from messaging.selectors import unread_total
    from notifications.selectors import notification_unread_count

    return {"notifications": notification_unread_count(user_id=user_id), "messages": unread_total(user_id=user_id)}


def push_unread_counts(user_ids: Iterable[int]) -> None:
    for user_id in dict.fromkeys(user_ids):
        push([user_id], "unread_count", unread_counts(user_id))


def push_notifications(notification_ids: Iterable[int]) -> None:
    """Push stored notifications (their REST representation) to their recipients, then the
    recipients' new unread counts."""
    from notifications.selectors import notifications_by_ids
    from notifications.serializers import NotificationSerializer

    notifications = notifications_by_ids(ids=list(notification_ids))
    for notification in notifications:
        push([notification.recipient_id], "notification", NotificationSerializer(notification).data)
    push_unread_counts(n.recipient_id for n in notifications)


def push_message(message_id: int, recipient_ids: list[int]) -> None:
    """A new direct message, as the REST API shows it, to the sockets of the other participants."""
    from messaging.selectors import message_get
    from messaging.serializers import MessageSerializer

    data = MessageSerializer(message_get(message_id=message_id)).data
    push(recipient_ids, "message", data)
