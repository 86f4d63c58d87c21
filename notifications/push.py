"""What notifications push to their recipients' event sockets (through ``realtime``): new
notifications, as the REST API shows them, and the ``unread_count`` frame.

The ``unread_count`` frame also carries the unread counts of features above notifications (the
direct messages' ``messages``): they register a counter in their ``AppConfig.ready`` with
:func:`unread_counter_register`, as lower layers announce and upper layers subscribe.
"""

from collections.abc import Callable, Iterable

from realtime.events import push

from .selectors import notification_list_by_ids, notification_unread_count
from .serializers import NotificationSerializer

# name → counter(user_id=...): the frame's other keys, in registration order.
_unread_counters: dict[str, Callable[..., int]] = {}


def unread_counter_register(*, name: str, counter: Callable[..., int]) -> None:
    """Add ``name: counter(user_id=...)`` to every ``unread_count`` frame."""
    _unread_counters[name] = counter


def unread_counts(*, user_id: int) -> dict[str, int]:
    counts = {"notifications": notification_unread_count(user_id=user_id)}
    for name, counter in _unread_counters.items():
        counts[name] = counter(user_id=user_id)
    return counts


def unread_counts_push(user_ids: Iterable[int]) -> None:
    for user_id in dict.fromkeys(user_ids):
        push([user_id], "unread_count", unread_counts(user_id=user_id))


def notifications_push(notification_ids: Iterable[int]) -> None:
    """Push stored notifications to their recipients, then the recipients' new unread counts."""
    notifications = notification_list_by_ids(ids=list(notification_ids))
    for notification in notifications:
        push([notification.recipient_id], "notification", NotificationSerializer(notification).data)
    unread_counts_push(n.recipient_id for n in notifications)
