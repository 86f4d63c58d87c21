"""Statuses placed in time: which feed entry a status id stands for, and one page of an account's
own entries (its posts and its retweets), for the lists that mix posts and reblogs.

A post's entry is its creation and a reblog's the retweet's, ordered by ``(time, feed id)`` as the
home feed orders them (:mod:`posts.feed.entries` encodes the feed ids). Status ids of posts and of
reblogs don't order against each other, so a status id given as ``max_id``, ``since_id`` or
``min_id`` is first mapped onto its entry (one query); an id whose post or retweet is gone stands
for the nearest older one of its kind."""

from dataclasses import dataclass

from django.db.models import QuerySet

from posts import feed, visibility
from posts.feed.db import rows_beyond
from posts.models import Post, Retweet

from .entities.status import retweet_id_of_status
from .pagination import PageParams


def feed_entry_of(status_id: int) -> feed.FeedEntry | None:
    """The feed entry a status id stands for (the nearest older one of its kind when it is gone)."""
    retweet_id = retweet_id_of_status(status_id)
    if retweet_id is not None:
        row = (
            Retweet.objects.filter(pk__lte=retweet_id)
            .order_by("-pk")
            .values_list("pk", "post_id", "user_id", "created_at")
            .first()
        )
        if row is None:
            return None
        rt_id, post_id, user_id, at = row
        return feed.FeedEntry.for_retweet(retweet_id=rt_id, post_id=post_id, user_id=user_id, created_at=at)
    row = Post.objects.filter(pk__lte=status_id).order_by("-pk").values_list("pk", "created_at").first()
    return feed.FeedEntry.for_post(post_id=row[0], created_at=row[1]) if row else None


@dataclass(frozen=True)
class Bounds:
    """A page's bounds as entries: below ``max_entry``, above ``min_entry`` (read upwards) or
    ``since_entry``; ``empty`` when an id given stands for nothing below it."""

    max_entry: feed.FeedEntry | None = None
    since_entry: feed.FeedEntry | None = None
    min_entry: feed.FeedEntry | None = None
    empty: bool = False


def bounds_of(params: PageParams) -> Bounds:
    entries = {
        name: feed_entry_of(getattr(params, name))
        for name in ("max_id", "since_id", "min_id")
        if getattr(params, name) is not None
    }
    return Bounds(
        max_entry=entries.get("max_id"),
        since_entry=entries.get("since_id"),
        min_entry=entries.get("min_id"),
        empty=params.max_id is not None and entries.get("max_id") is None,
    )


def _read(qs: QuerySet, bounds: Bounds, *, table: int, limit: int, fields: tuple[str, ...]) -> list[tuple]:
    if bounds.max_entry is not None:
        qs = qs.filter(rows_beyond(bounds.max_entry.key, table=table, above=False))
    for lower in (bounds.since_entry, bounds.min_entry):
        if lower is not None:
            qs = qs.filter(rows_beyond(lower.key, table=table, above=True))
    order = ("created_at", "id") if bounds.min_entry is not None else ("-created_at", "-id")
    return list(qs.order_by(*order).values_list(*fields)[:limit])


def account_entries(
    *, viewer, user, params: PageParams, posts: QuerySet[Post] | None, reblogs: bool
) -> list[feed.FeedEntry]:
    """One page of the account's entries the viewer may see, newest first: ``posts`` (the account's
    posts the viewer may see, filtered as the caller wants; None: none) and, with ``reblogs``, its
    retweets of posts the viewer may see."""
    bounds = bounds_of(params)
    if bounds.empty:
        return []
    entries = []
    if posts is not None:
        rows = _read(posts, bounds, table=0, limit=params.limit, fields=("id", "created_at"))
        entries += [feed.FeedEntry.for_post(post_id=pk, created_at=at) for pk, at in rows]
    if reblogs:
        retweets = Retweet.objects.filter(visibility.post_visible_q(viewer, prefix="post__"), user=user)
        rows = _read(retweets, bounds, table=1, limit=params.limit, fields=("id", "post_id", "created_at"))
        entries += [
            feed.FeedEntry.for_retweet(retweet_id=pk, post_id=post_id, user_id=user.pk, created_at=at)
            for pk, post_id, at in rows
        ]
    upwards = bounds.min_entry is not None
    entries.sort(key=lambda entry: entry.key, reverse=not upwards)
    entries = entries[: params.limit]
    return entries[::-1] if upwards else entries
