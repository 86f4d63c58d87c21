"""Celery tasks that keep the Redis home timelines (:mod:`posts.timelines`): fan-out of new posts and
retweets in batches, their removal, and rebuilds from the database. Thin and idempotent: every
timeline write puts a post id at its newest entry, so a batch that runs twice (late
acknowledgement after a worker died) changes nothing. A Redis or database outage is retried with
backoff; the database stays the source of truth meanwhile."""

import logging

import redis
from celery import shared_task
from django.db import InterfaceError, OperationalError

from notifications.tasks import NOTIFY_OPTIONS

from . import notify, timelines

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (redis.RedisError, OperationalError, InterfaceError)

# Late acknowledgement, redelivery when a worker dies and the time limits are the project-wide
# Celery settings (CELERY_TASK_*); these tasks add retries of transient outages.
TIMELINE_OPTIONS = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


@shared_task(name="posts.timeline_fanout", **TIMELINE_OPTIONS)
def timeline_fanout_task(*, entry: list[int], source_id: int) -> int:
    """Split a new entry's fan-out to the followers of ``source_id`` into batch tasks."""
    if not timelines.enabled():
        return 0
    return timelines.fanout(timelines.Entry.from_list(entry), source_id=source_id)


@shared_task(name="posts.timeline_push", **TIMELINE_OPTIONS)
def timeline_push_task(*, entry: list[int], user_ids: list[int]) -> int:
    """One batch of a fan-out: the entry into these users' timelines, one Redis pipeline."""
    if not timelines.enabled():
        return 0
    return timelines.push(timelines.Entry.from_list(entry), user_ids)


@shared_task(name="posts.timeline_unfanout", **TIMELINE_OPTIONS)
def timeline_unfanout_task(*, post_id: int, feed_id: int | None, source_ids: list[int]) -> int:
    if not timelines.enabled():
        return 0
    return timelines.unfanout(post_id=post_id, feed_id=feed_id, source_ids=source_ids)


@shared_task(name="posts.timeline_remove", **TIMELINE_OPTIONS)
def timeline_remove_task(*, post_id: int, feed_id: int | None, user_ids: list[int]) -> int:
    """One batch of a removal (a deleted post, or one retweet of it undone)."""
    if not timelines.enabled():
        return 0
    return timelines.remove(post_id, user_ids, feed_id=feed_id)


@shared_task(name="posts.timeline_drop", **TIMELINE_OPTIONS)
def timeline_drop_task(*, user_ids: list[int]) -> None:
    """Forget these home timelines (rebuilt on their next read)."""
    if timelines.enabled():
        timelines.drop(user_ids)


@shared_task(name="posts.timeline_rebuild", **TIMELINE_OPTIONS)
def timeline_rebuild_task(*, home_id: int | None = None, user_id: int | None = None) -> int:
    """Build a home timeline (``home_id``) or a user timeline (``user_id``) from the database."""
    if not timelines.enabled():
        return 0
    if home_id is not None:
        return timelines.rebuild_home(home_id)
    return timelines.rebuild_user(user_id)


@shared_task(name="posts.timeline_apply", **TIMELINE_OPTIONS)
def timeline_apply_task(*, op: str, **kwargs) -> None:
    """A timeline change that could not be made at once because Redis failed."""
    if timelines.enabled():
        timelines.apply(op, **kwargs)


# --- Notifications ---------------------------------------------------------------------------
# Who a like, a retweet or a post notifies (``notify``). The names predate the tasks' move here:
# outbox rows and queued messages carry them.


@shared_task(name="notifications.notify_like", **NOTIFY_OPTIONS)
def notify_like_task(*, like_id: int) -> None:
    notify.like_notify(like_id=like_id)


@shared_task(name="notifications.notify_retweet", **NOTIFY_OPTIONS)
def notify_retweet_task(*, retweet_id: int) -> None:
    notify.retweet_notify(retweet_id=retweet_id)


@shared_task(name="notifications.notify_post", **NOTIFY_OPTIONS)
def notify_post_task(*, post_id: int, mentioned_ids: list[int]) -> None:
    """A new post (reply and mentions) or an edited one (newly mentioned users)."""
    notify.post_notify(post_id=post_id, mentioned_ids=mentioned_ids)
