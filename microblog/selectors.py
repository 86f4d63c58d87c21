"""Reads of the microblog API: the posts are those the caller may see (:mod:`posts.visibility`).
They return plain values (no model instances): a feed page names every like of its tweets, and a
user every follower, so rows are read as tuples and shaped once (:mod:`.serializers`)."""

from collections import defaultdict

from django.http import Http404

from media.models import Media
from mini_twitter.api.ids import MAX_ID
from posts import visibility
from posts.feed import source_user_ids
from posts.models import Like
from users.models import Follow, User
from users.selectors import user_list_active


def named(user_id: int, username: str, display_name: str | None) -> dict:
    """``{"id", "name"}``: the display name, or the username where it is empty."""
    return {"id": user_id, "name": display_name or username}


def tweet_list_feed(*, user: User, page: int, limit: int) -> list[dict]:
    """The caller's feed for the front end: posts of the people they follow and their own, most
    liked first, ties newest first. ``page`` is 1-based. Each tweet is ``{id, content, author
    (named), files (stored names, in order), likes ([named], oldest first)}``; three queries."""
    start = (page - 1) * limit
    if start + limit > MAX_ID:  # past any table's end, and past the database's OFFSET range
        return []
    rows = list(
        visibility.post_list_visible(user, context="feed")
        .filter(author_id__in=source_user_ids(user.pk))
        .order_by("-likes_count", "-created_at", "-id")
        .values_list("id", "content", "author_id", "author__username", "author__profile__display_name")[
            start : start + limit
        ]
    )
    if not rows:
        return []
    post_ids = [row[0] for row in rows]
    files, likes = defaultdict(list), defaultdict(list)
    for post_id, name in (
        Media.objects.filter(post_id__in=post_ids).order_by("position", "id").values_list("post_id", "file")
    ):
        files[post_id].append(name)
    # Suspended accounts are absent from every list, likers included.
    for post_id, user_id, username, display_name in (
        Like.objects.filter(post_id__in=post_ids, user__is_active=True)
        .order_by("created_at", "id")
        .values_list("post_id", "user_id", "user__username", "user__profile__display_name")
    ):
        likes[post_id].append(named(user_id, username, display_name))
    return [
        {
            "id": post_id,
            "content": content,
            "author": named(author_id, username, display_name),
            "files": files[post_id],
            "likes": likes[post_id],
        }
        for post_id, content, author_id, username, display_name in rows
    ]


def _follow_names(qs, prefix: str) -> list[dict]:
    rows = qs.filter(**{f"{prefix}__is_active": True}).order_by("-created_at", "-id")
    return [
        named(*row)
        for row in rows.values_list(f"{prefix}_id", f"{prefix}__username", f"{prefix}__profile__display_name")
    ]


def user_get_with_follows(*, user_id: int) -> dict:
    """A user as ``{id, name, followers, following}`` (named users, newest follow first); 404 for an
    unknown or inactive account. Three queries."""
    row = user_list_active().filter(pk=user_id).values_list("id", "username", "profile__display_name").first()
    if row is None:
        raise Http404("No such user.")
    return {
        **named(*row),
        "followers": _follow_names(Follow.objects.filter(followee_id=user_id), "follower"),
        "following": _follow_names(Follow.objects.filter(follower_id=user_id), "followee"),
    }
