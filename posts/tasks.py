"""Celery tasks that keep the Redis home timelines (:mod:`posts.feed`), and the calls that record
them with the writes; the tasks that notify of likes, retweets, replies and mentions (:mod:`posts.notify`).

A write records its timeline change inside its transaction (``timeline_post_created`` and the
like, called by the services and the follow signal): the change is kept in the outbox with the
write and made right after commit, its own account's part at once, the followers' part by fan-out
tasks. When Redis fails, the recorded change is retried by a worker and, if the broker is down too,
sent again by the outbox drain once it is back: a change made during an outage reaches the
timelines after it.

Thin and idempotent: every timeline write puts a post id at its newest entry, so a task that runs
twice (late acknowledgement after a worker died, a resend) changes nothing, and a fan-out that runs
after its post was deleted or its retweet undone writes nothing. A Redis or database outage is
retried with backoff; the database stays the source of truth meanwhile."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from notifications.tasks import NOTIFY_OPTIONS
from outbox.services import enqueue_on_commit, run_on_commit

from . import notify
from .feed import fanout, timelines
from .feed.entries import FeedEntry, retweet_feed_id
from .models import Post, Retweet

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (*timelines.ERRORS, OperationalError, InterfaceError)

# Late acknowledgement, redelivery when a worker dies and the time limits are the project-wide
# Celery settings (CELERY_TASK_*); these tasks add retries of transient outages.
TIMELINE_OPTIONS = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "max_retries": 10,
}


# --- The changes a write records (run after commit, in the writing process) ---------------------


@shared_task(name="posts.timeline_entry_add", **TIMELINE_OPTIONS)
def timeline_entry_add_task(*, entry: list[int], source_id: int) -> None:
    """A new post or retweet of ``source_id``: into their own timelines at once, then fanned out
    (each batch checks again that the entry still stands)."""
    if not timelines.enabled():
        return
    fanout.add_own(FeedEntry.from_list(entry), source_id)
    enqueue_on_commit(timeline_fanout_task, entry=entry, source_id=source_id)


@shared_task(name="posts.timeline_entry_remove", **TIMELINE_OPTIONS)
def timeline_entry_remove_task(*, post_id: int, feed_id: int | None, source_ids: list[int]) -> None:
    """A deleted post (``feed_id`` None: every entry of it) or an undone retweet (its entry): out
    of its accounts' own timelines at once, then out of their followers'."""
    if not timelines.enabled():
        return
    fanout.remove_own(post_id, source_ids, feed_id)
    enqueue_on_commit(timeline_unfanout_task, post_id=post_id, feed_id=feed_id, source_ids=source_ids)


@shared_task(name="posts.timeline_follow_change", **TIMELINE_OPTIONS)
def timeline_follow_change_task(*, follower_id: int, followee_id: int) -> None:
    """A follow made or undone: the follower's timeline gains or loses the followee's entries,
    whichever the database says now."""
    if timelines.enabled():
        fanout.follow_changed(follower_id=follower_id, followee_id=followee_id)


# --- Fan-out and the rest, run by the workers ---------------------------------------------------


@shared_task(name="posts.timeline_fanout", **TIMELINE_OPTIONS)
def timeline_fanout_task(*, entry: list[int], source_id: int) -> int:
    """Split a new entry's fan-out to the followers of ``source_id`` into batch tasks; returns how
    many."""
    if not timelines.enabled():
        return 0
    plan = fanout.plan_fanout(source_id=source_id)
    for batch in plan.drop:
        enqueue_on_commit(timeline_drop_task, user_ids=batch)
    for batch in plan.push:
        enqueue_on_commit(timeline_push_task, entry=entry, user_ids=batch)
    return len(plan.push)


@shared_task(name="posts.timeline_push", **TIMELINE_OPTIONS)
def timeline_push_task(*, entry: list[int], user_ids: list[int]) -> int:
    """One batch of a fan-out: the entry into these users' timelines, one Redis pipeline."""
    if not timelines.enabled():
        return 0
    return fanout.push(FeedEntry.from_list(entry), user_ids)


@shared_task(name="posts.timeline_unfanout", **TIMELINE_OPTIONS)
def timeline_unfanout_task(*, post_id: int, feed_id: int | None, source_ids: list[int]) -> int:
    """Split a removal from the followers of ``source_ids`` into batch tasks; returns how many."""
    if not timelines.enabled():
        return 0
    parts = fanout.plan_unfanout(source_ids=source_ids)
    for batch in parts:
        enqueue_on_commit(timeline_remove_task, post_id=post_id, feed_id=feed_id, user_ids=batch)
    return len(parts)


@shared_task(name="posts.timeline_remove", **TIMELINE_OPTIONS)
def timeline_remove_task(*, post_id: int, feed_id: int | None, user_ids: list[int]) -> int:
    """One batch of a removal (a deleted post, or one retweet of it undone)."""
    if not timelines.enabled():
        return 0
    return fanout.remove(post_id, user_ids, feed_id=feed_id)


@shared_task(name="posts.timeline_drop", **TIMELINE_OPTIONS)
def timeline_drop_task(*, user_ids: list[int]) -> None:
    """Forget these home timelines (rebuilt on their next read)."""
    if timelines.enabled():
        fanout.drop(user_ids)


@shared_task(name="posts.timeline_rebuild", **TIMELINE_OPTIONS)
def timeline_rebuild_task(*, home_id: int | None = None, user_id: int | None = None) -> int:
    """Build a home timeline (``home_id``) or a user timeline (``user_id``) from the database."""
    if not timelines.enabled():
        return 0
    if home_id is not None:
        return timelines.rebuild_home(home_id)
    return timelines.rebuild_user(user_id)


# Before the named tasks above, a change was recorded as one task with an operation name. Kept for
# the outbox rows and broker messages written that way by an earlier release: each runs as the
# named task that does its operation now.
LEGACY_OPERATIONS = {
    "entry_created": timeline_entry_add_task,
    "entry_removed": timeline_entry_remove_task,
    "followed": timeline_follow_change_task,
    "unfollowed": timeline_follow_change_task,
}


@shared_task(name="posts.timeline_apply", **TIMELINE_OPTIONS)
def timeline_apply_task(*, op: str, **kwargs) -> None:
    """A change recorded by an earlier release (see ``LEGACY_OPERATIONS``)."""
    LEGACY_OPERATIONS[op](**kwargs)


# --- Recording a change with its write ----------------------------------------------------------


def _record(task, **kwargs) -> None:
    if timelines.enabled():
        run_on_commit(task, **kwargs)


def timeline_post_created(post: Post) -> None:
    entry = FeedEntry.for_post(post_id=post.pk, created_at=post.created_at, author_id=post.author_id)
    _record(timeline_entry_add_task, entry=entry.as_list(), source_id=post.author_id)


def timeline_retweet_created(retweet: Retweet, *, author_id: int) -> None:
    entry = FeedEntry.for_retweet(
        retweet_id=retweet.pk,
        post_id=retweet.post_id,
        user_id=retweet.user_id,
        created_at=retweet.created_at,
        author_id=author_id,
    )
    _record(timeline_entry_add_task, entry=entry.as_list(), source_id=retweet.user_id)


def timeline_post_deleted(*, post_id: int, author_id: int, retweeter_ids: list[int]) -> None:
    _record(timeline_entry_remove_task, post_id=post_id, feed_id=None, source_ids=sorted({author_id, *retweeter_ids}))


def timeline_retweet_deleted(*, post_id: int, retweet_id: int, user_id: int) -> None:
    _record(timeline_entry_remove_task, post_id=post_id, feed_id=retweet_feed_id(retweet_id), source_ids=[user_id])


def timeline_follow_changed(*, follower_id: int, followee_id: int) -> None:
    """Made or undone: the task reads which from the database."""
    _record(timeline_follow_change_task, follower_id=follower_id, followee_id=followee_id)


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
