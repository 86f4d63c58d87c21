"""Reads for notifications: the recipient's own only, with the actor and the post excerpt loaded in
the same query."""

from collections.abc import Callable

from django.db.models import Q, QuerySet
from django.db.models.functions import Left
from django.shortcuts import get_object_or_404

from users.models import User
from users.selectors import relationship_exclude_q

from .models import Notification

# One character more than the excerpt shows, to know whether it was cut.
EXCERPT_LENGTH = 100


# Filters from the layers above on what their notifications name, ``filter(user) → Q`` with
# ``user`` a User (posts: a notification naming a post the user may not see is not listed).
_visible_filters: list[Callable[[User], Q]] = []


def notification_filter_register(visible: Callable[[User], Q]) -> None:
    """Leave out, wherever notifications are listed or counted, those not matching ``visible(user)``
    (registered in an ``AppConfig.ready``, as lower layers announce and upper layers subscribe)."""
    _visible_filters.append(visible)


def _from_allowed_actors(user: User | int) -> Q:
    """Not from a suspended account, nor from someone the user blocks or who blocks them, nor from
    someone they mute with notifications (earlier notifications included: they are left out, not
    deleted); and nothing the registered filters refuse."""
    q = Q(actor__is_active=True) & relationship_exclude_q(user, field="actor_id", muted_notifications=True)
    viewer = user if isinstance(user, User) else User(pk=user)
    for visible in _visible_filters:
        q &= visible(viewer)
    return q


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first; each carries ``post_head`` (the start of its post's
    content, or null)."""
    return (
        Notification.objects.filter(_from_allowed_actors(user), recipient=user)
        .select_related("actor__profile")
        .annotate(post_head=Left("post__content", EXCERPT_LENGTH + 1))
        .order_by("-created_at", "-id")
    )


def notification_get(*, user: User, notification_id: int) -> Notification:
    return get_object_or_404(notification_list(user=user), pk=notification_id)


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(_from_allowed_actors(user_id), recipient_id=user_id, is_read=False).count()


def notification_list_by_ids(*, ids: list[int]) -> list[Notification]:
    """Notifications by id, loaded as the list loads them (for pushing to sockets)."""
    return list(
        Notification.objects.filter(pk__in=ids)
        .select_related("actor__profile")
        .annotate(post_head=Left("post__content", EXCERPT_LENGTH + 1))
        .order_by("created_at", "id")
    )
