"""Statuses announced to the streams after commit (run by :mod:`mastodon_api.tasks`, started by the
posts' signals): who may be listening is chosen here, the visibility rule is applied again for each
listener by the stream itself.

- A new or edited status goes to its author's home group and their followers' (in batches of
  ``TIMELINE_FANOUT_BATCH``, each batch its own task when there are several), and, when it is
  ``public`` and its author neither protected nor deactivated, to its hashtags' groups and, unless
  it replies to someone else, to the public group (as Mastodon broadcasts).
- A reblog (a retweet) goes to the reblogger's home group and their followers', never to the public
  or hashtag streams (as Mastodon broadcasts).
- A deleted status's id goes wherever the status may have gone, an undone reblog's to the
  reblogger's home audience."""

from collections.abc import Iterable

from django.conf import settings

from outbox.services import enqueue_transient
from posts.models import Hashtag, Post, Retweet
from realtime.events import group_send, group_send_many
from users.models import Follow

from ..entities.status import reblog_status_id
from .groups import PUBLIC, hashtag_group, home_group, tag_channel


def home_send(message: dict, user_ids: Iterable[int]) -> None:
    message = {**message, "channel": "home"}
    group_send_many((home_group(user_id), message) for user_id in dict.fromkeys(user_ids))


def _audience_batches(author_id: int) -> list[list[int]]:
    ids = [
        author_id,
        *Follow.objects.filter(followee_id=author_id).order_by("pk").values_list("follower_id", flat=True),
    ]
    size = max(1, settings.TIMELINE_FANOUT_BATCH)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _broadcast(message: dict, *, hashtags: Iterable[str], public: bool) -> None:
    if public:
        group_send(PUBLIC, {**message, "channel": "public"})
    for name in hashtags:
        group_send(hashtag_group(name), {**message, "channel": tag_channel(name)})


def status_message(*, event: str, post_id: int) -> tuple[dict, list[str], bool] | None:
    """The message of a stored status, its hashtags and whether the public streams take it; None
    when it is gone or its author deactivated."""
    row = (
        Post.objects.filter(pk=post_id)
        .values(
            "author_id",
            "visibility",
            "edited_at",
            "reply_to__author_id",
            "author__is_active",
            "author__profile__is_protected",
        )
        .first()
    )
    if row is None or not row["author__is_active"]:
        return None
    protected = bool(row["author__profile__is_protected"])
    message = {
        "type": "mastodon.status",
        "event": event,
        "status_id": post_id,
        "author_id": row["author_id"],
        "visibility": row["visibility"],
        "protected": protected,
        "media": Post.objects.filter(pk=post_id, media__isnull=False).exists(),
        "version": row["edited_at"].isoformat() if row["edited_at"] else "",
    }
    broadcast = row["visibility"] == Post.Visibility.PUBLIC and not protected
    hashtags = list(Hashtag.objects.filter(posts__id=post_id).values_list("name", flat=True))
    public = broadcast and row["reply_to__author_id"] in (None, row["author_id"])
    return message, hashtags if broadcast else [], public


def status_announce(*, event: str, post_id: int, batch_task=None) -> None:
    found = status_message(event=event, post_id=post_id)
    if found is None:
        return
    message, hashtags, public = found
    _broadcast(message, hashtags=hashtags, public=public)
    _home_fanout(message, message["author_id"], batch_task)


def status_removed_announce(
    *, post_id: int, author_id: int, visibility: str, hashtag_ids: list[int], batch_task=None
) -> None:
    message = {"type": "mastodon.status", "event": "delete", "status_id": post_id, "author_id": author_id}
    hashtags = Hashtag.objects.filter(pk__in=hashtag_ids).values_list("name", flat=True) if hashtag_ids else []
    _broadcast(message, hashtags=hashtags, public=visibility == Post.Visibility.PUBLIC)
    _home_fanout(message, author_id, batch_task)


def _home_fanout(message: dict, author_id: int, batch_task) -> None:
    batches = _audience_batches(author_id)
    if len(batches) == 1 or batch_task is None:
        for batch in batches:
            home_send(message, batch)
        return
    for batch in batches:
        enqueue_transient(batch_task, message=message, user_ids=batch)


def reblog_announce(*, retweet_id: int, batch_task=None) -> None:
    row = (
        Retweet.objects.filter(pk=retweet_id)
        .values(
            "user_id",
            "user__is_active",
            "post__author_id",
            "post__author__is_active",
            "post__visibility",
            "post__author__profile__is_protected",
        )
        .first()
    )
    if row is None or not (row["user__is_active"] and row["post__author__is_active"]):
        return
    message = {
        "type": "mastodon.status",
        "event": "update",
        "status_id": reblog_status_id(retweet_id),
        "retweet_id": retweet_id,
        "reblogger_id": row["user_id"],
        "author_id": row["post__author_id"],
        "visibility": row["post__visibility"],
        "protected": bool(row["post__author__profile__is_protected"]),
        "version": "",
    }
    _home_fanout(message, row["user_id"], batch_task)


def reblog_removed_announce(*, retweet_id: int, user_id: int, batch_task=None) -> None:
    message = {"type": "mastodon.status", "event": "delete", "status_id": reblog_status_id(retweet_id)}
    _home_fanout(message, user_id, batch_task)
