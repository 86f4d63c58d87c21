"""Reads of the microblog API: the posts are those the caller may see (:mod:`posts.visibility`)."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from mini_twitter.api.ids import MAX_ID
from posts import visibility
from posts.feed import source_user_ids
from posts.models import Like, Post
from users.models import Follow, User
from users.selectors import user_list_active


def _tweet_list(*, viewer: User, context: visibility.Context = "default") -> QuerySet[Post]:
    return (
        visibility.post_list_visible(viewer, context=context)
        .select_related("author__profile")
        .prefetch_related(
            "media",
            Prefetch("likes", queryset=Like.objects.select_related("user__profile").order_by("created_at", "id")),
        )
    )


def tweet_list_feed(*, user: User, page: int, limit: int) -> list[Post]:
    """The caller's feed for the front end: posts of the people they follow and their own, most
    liked first, ties newest first. ``page`` is 1-based."""
    start = (page - 1) * limit
    if start + limit > MAX_ID:  # past any table's end, and past the database's OFFSET range
        return []
    qs = (
        _tweet_list(viewer=user, context="feed")
        .filter(author_id__in=source_user_ids(user.pk))
        .order_by("-likes_count", "-created_at", "-id")
    )
    return list(qs[start : start + limit])


def user_get_with_follows(*, user_id: int) -> User:
    """A user with their followers and the people they follow, each with a profile."""
    return get_object_or_404(
        user_list_active().prefetch_related(
            Prefetch(
                "follower_set",
                queryset=Follow.objects.filter(follower__is_active=True)
                .select_related("follower__profile")
                .order_by("-created_at", "-id"),
            ),
            Prefetch(
                "following_set",
                queryset=Follow.objects.filter(followee__is_active=True)
                .select_related("followee__profile")
                .order_by("-created_at", "-id"),
            ),
        ),
        pk=user_id,
    )
