"""Mastodon's Relationship: the viewer's follows, requests, blocks and mutes with other accounts,
from the native flags (``users.selectors.user_annotate_follow_flags``, one query for all) and the
viewer's cached block and mute sets."""

from collections.abc import Iterable

from users.models import User
from users.selectors import follow_request_list, relationship_sets, user_annotate_follow_flags


def relationship_entities(viewer: User, users: Iterable[User]) -> list[dict]:
    """One Relationship per user, in their order: three queries at most whatever their number."""
    users = list(users)
    if not users:
        return []
    user_annotate_follow_flags(users, viewer)
    muted_notifications = relationship_sets(viewer).muted_notifications()
    requested_by = set(
        follow_request_list(target=viewer)
        .filter(requester_id__in=[user.pk for user in users])
        .values_list("requester_id", flat=True)
    )
    return [
        {
            "id": str(user.pk),
            "following": user.is_following,
            "showing_reblogs": user.is_following,
            "notifying": False,
            "languages": None,
            "followed_by": user.follows_you,
            "blocking": user.is_blocking,
            "blocked_by": user.is_blocked_by,
            "muting": user.is_muting,
            "muting_notifications": user.is_muting and user.pk in muted_notifications,
            "requested": user.follow_requested,
            "requested_by": user.pk in requested_by,
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        }
        for user in users
    ]
