"""Writes to the Redis home timelines (:mod:`posts.feed.timelines`): fan-out on write, removals,
follows and unfollows. The tasks of :mod:`posts.tasks` call these; what they return tells the tasks
what to schedule next (this package schedules nothing itself).

A post or retweet goes at once into its author's own home timeline and user timeline
(:func:`add_own`); its fan-out to the followers' timelines is split into batches of
``TIMELINE_FANOUT_BATCH`` (:func:`plan_fanout`), each batch one task and one pipeline
(:func:`push`). Only timelines that exist are written. Every write is idempotent (member = post
id), so a batch delivered twice after a worker died changes nothing. Accounts with more than
``TIMELINE_CELEBRITY_FOLLOWERS`` followers are not fanned out: their followers merge their user
timeline in at read time. Deletes and unretweets are removed the same way; when a removed entry
was a retweet, the follower's next-newest entry of that post (the post itself or another retweet)
is put back from the database (:func:`replacements`). Writes that may run late (a busy queue, a
change sent again by the outbox) lock the row their entry stands for (:func:`lock_source`) and the
follow rows they rely on, so they can't overtake a delete, an unretweet or an unfollow.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from users.models import Follow, Profile

from ..models import Post, Retweet
from .entries import FeedEntry, keep_newest, retweet_id_of
from .timelines import (
    CELEBRITIES_KEY,
    client,
    home_keys,
    is_celebrity,
    max_entries,
    recent_entries,
    run,
    script_args,
    scripts,
    slot_of,
    stop_builds,
    ttl_seconds,
    user_keys,
)

PUSH_KEYS_PER_CALL = 100


def _pipeline_add(keyed: Iterable[tuple[tuple[str, str, str], list[FeedEntry]]]) -> None:
    cap, ttl, add = max_entries(), ttl_seconds(), scripts().add
    calls = []
    for keys, entries in keyed:
        if entries:
            args: list = [cap, ttl]
            for entry in entries:
                args += script_args(entry)
            calls.append((add, list(keys), args))
    run(calls)


def lock_source(entry: FeedEntry) -> bool:
    """Lock the row an entry stands for (the post, or the retweet) until the caller's transaction
    ends; False when it is gone. A write of the entry made under this lock can't be overtaken by the
    removal of a post deleted or a retweet undone meanwhile: that delete waits, and its removal from
    the timelines runs after the write."""
    if entry.retweeted_by_id:
        rows = Retweet.objects.filter(pk=retweet_id_of(entry.feed_id))
    else:
        rows = Post.objects.filter(pk=entry.post_id)
    return bool(list(rows.select_for_update(no_key=True).values_list("pk", flat=True)))


def add_own(entry: FeedEntry, account_id: int) -> None:
    """The account's own home and user timelines, at once (the author sees their post), unless the
    entry is gone since (a change sent again late)."""
    with transaction.atomic():
        if lock_source(entry):
            _pipeline_add([(home_keys(account_id), [entry]), (user_keys(account_id), [entry])])


# --- Fan-out ----------------------------------------------------------------------------------


def follower_ids(account_ids: Iterable[int]) -> list[int]:
    return sorted(set(Follow.objects.filter(followee_id__in=list(account_ids)).values_list("follower_id", flat=True)))


def batches(ids: list[int]) -> list[list[int]]:
    size = max(1, settings.TIMELINE_FANOUT_BATCH)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


@dataclass(frozen=True)
class FanoutPlan:
    """Batches of followers: whose timelines get the entry (``push``), or are dropped, to be
    rebuilt on their next read (``drop``)."""

    push: list[list[int]] = field(default_factory=list)
    drop: list[list[int]] = field(default_factory=list)


def plan_fanout(*, source_id: int) -> FanoutPlan:
    """How a new entry of ``source_id`` reaches their followers. A celebrity's entry is not fanned
    out (its followers merge its user timeline at read time)."""
    followers_count = Profile.objects.filter(pk=source_id).values_list("followers_count", flat=True).first() or 0
    conn = client()
    # The set holds the accounts whose last entry was not fanned out; crossing the threshold either
    # way, the followers' timelines (built the other way) are dropped and rebuilt on read.
    if is_celebrity(followers_count):
        # Newly a celebrity: its followers' timelines do not merge it in yet.
        return FanoutPlan(drop=batches(follower_ids([source_id])) if conn.sadd(CELEBRITIES_KEY, source_id) else [])
    if conn.srem(CELEBRITIES_KEY, source_id):
        # No longer one: its followers' timelines merge it in at read time, and lack its entries.
        return FanoutPlan(drop=batches(follower_ids([source_id])))
    return FanoutPlan(push=batches(follower_ids([source_id])))


def plan_unfanout(*, source_ids: list[int]) -> list[list[int]]:
    """Batches of the followers of ``source_ids`` (the sources themselves left out: their own
    timelines are changed at once) to remove an entry from."""
    sources = set(source_ids)
    return batches([u for u in follower_ids(source_ids) if u not in sources])


def push(entry: FeedEntry, user_ids: Iterable[int]) -> int:
    """Fan-out of one entry to these users' home timelines (those that exist): one pipeline of
    script calls, each covering up to ``PUSH_KEYS_PER_CALL`` users (short enough not to hold Redis
    up) whose keys share a hash slot (all of them on one Redis server; on a cluster, mostly one user
    a call). Returns how many timelines took it (0 for those that already had it)."""
    args = [max_entries(), ttl_seconds(), *script_args(entry)]
    script = scripts().push
    with transaction.atomic():
        if not lock_source(entry):
            return 0  # deleted or undone since: its removal has run or waits for this to end
        # A batch may run long after its followers were listed (a busy queue, a resend): only those
        # who follow the entry's account now get it, and their follow rows stay locked until it is
        # written, so an unfollow committing meanwhile waits, then removes the account's entries.
        user_ids = list(
            Follow.objects.select_for_update(no_key=True)
            .filter(followee_id=entry.retweeted_by_id or entry.author_id, follower_id__in=list(user_ids))
            .order_by("pk")
            .values_list("follower_id", flat=True)
        )
        by_slot: dict[int, list[int]] = {}
        for user_id in user_ids:
            by_slot.setdefault(slot_of(user_id), []).append(user_id)
        calls = [
            (script, [key for user_id in users[start : start + PUSH_KEYS_PER_CALL] for key in home_keys(user_id)], args)
            for users in by_slot.values()
            for start in range(0, len(users), PUSH_KEYS_PER_CALL)
        ]
        return sum(run(calls))


def drop(user_ids: Iterable[int]) -> None:
    pipe = client().pipeline(transaction=False)
    for user_id in user_ids:
        z, m, _ = home_keys(user_id)
        pipe.unlink(z)  # a key a command: a cluster's pipeline takes no more
        pipe.unlink(m)
    pipe.execute()


# --- Removal ----------------------------------------------------------------------------------


def replacements(viewer_ids: list[int], post_ids: list[int]) -> dict[int, list[FeedEntry]]:
    """For each viewer, the newest entry of each post among the viewer's sources (the viewer and
    whom they follow), from the database: what their timeline should hold after an entry of the
    post was removed from it."""
    posts = {
        pid: (author, at)
        for pid, author, at in Post.objects.filter(pk__in=post_ids).values_list("id", "author_id", "created_at")
    }
    if not posts:
        return {}
    retweets = list(
        Retweet.objects.filter(post_id__in=list(posts)).values_list("id", "post_id", "user_id", "created_at")
    )
    accounts = {author for author, _ in posts.values()} | {user for _, _, user, _ in retweets}
    follows: dict[int, set[int]] = {viewer: {viewer} for viewer in viewer_ids}
    for follower, followee in Follow.objects.filter(follower_id__in=viewer_ids, followee_id__in=accounts).values_list(
        "follower_id", "followee_id"
    ):
        follows[follower].add(followee)
    result: dict[int, list[FeedEntry]] = {}
    for viewer, sources in follows.items():
        newest = keep_newest(
            {},
            [
                FeedEntry.for_post(post_id=pid, created_at=at, author_id=author)
                for pid, (author, at) in posts.items()
                if author in sources
            ]
            + [
                FeedEntry.for_retweet(retweet_id=rid, post_id=pid, user_id=user, created_at=at, author_id=posts[pid][0])
                for rid, pid, user, at in retweets
                if user in sources
            ],
        )
        if newest:
            result[viewer] = list(newest.values())
    return result


def _put_back(viewer_ids: list[int], post_ids: list[int]) -> None:
    back = replacements(viewer_ids, post_ids)
    _pipeline_add((home_keys(viewer), entries) for viewer, entries in back.items())


def _remove_from(keyed: list[tuple[str, str, str]], post_id: int, feed_id: int | None) -> list[bool]:
    """Remove the post (only its entry ``feed_id`` when given) from these timelines, their builds
    under way stopped; whether each held it."""
    stop_builds(keys[2] for keys in keyed)
    script, args = scripts().remove, [post_id, "" if feed_id is None else feed_id]
    return [bool(done) for done in run((script, [z, m], args) for z, m, _ in keyed)]


def remove(post_id: int, user_ids: Iterable[int], *, feed_id: int | None = None) -> int:
    """Remove the post from these users' home timelines (only its entry ``feed_id`` when given,
    then putting back the post's next-newest entry for them). Returns how many held it."""
    user_ids = list(user_ids)
    held = _remove_from([home_keys(user_id) for user_id in user_ids], post_id, feed_id)
    removed = [user_id for user_id, done in zip(user_ids, held, strict=True) if done]
    if removed and feed_id is not None:
        _put_back(removed, [post_id])
    return len(removed)


def remove_own(post_id: int, account_ids: Iterable[int], feed_id: int | None) -> None:
    """Remove the post (or one retweet of it) from its accounts' own home and user timelines."""
    account_ids = list(account_ids)
    _remove_from(
        [keys for account in account_ids for keys in (home_keys(account), user_keys(account))], post_id, feed_id
    )
    if feed_id is not None:
        _put_back(account_ids, [post_id])


# --- Follows ----------------------------------------------------------------------------------


def follow_changed(*, follower_id: int, followee_id: int) -> None:
    """Make the follower's timeline reflect whether they follow the followee now. A change sent
    again later may find the follow undone or redone since: the database says which one the
    timeline must reflect."""
    with transaction.atomic():
        # The follow row stays locked while its entries are added (as in ``push``).
        follow = Follow.objects.select_for_update(no_key=True).filter(follower_id=follower_id, followee_id=followee_id)
        if follow.values_list("pk", flat=True).first() is not None:
            _followed(follower_id, followee_id)
    if not Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists():
        _unfollowed(follower_id, followee_id)


def _followed(follower_id: int, followee_id: int) -> None:
    z, m, b = home_keys(follower_id)
    conn = client()
    if not (conn.hexists(m, "_b") or conn.exists(b)):
        return  # no timeline: built from the database on the next read
    count = Profile.objects.filter(pk=followee_id).values_list("followers_count", flat=True).first() or 0
    if is_celebrity(count):
        scripts().merged(keys=[m], args=["add", followee_id])
        return
    _pipeline_add([((z, m, b), recent_entries(followee_id))])


def _unfollowed(follower_id: int, followee_id: int) -> None:
    z, m, b = home_keys(follower_id)
    stop_builds([b])
    scripts().merged(keys=[m], args=["del", followee_id])
    gone = [int(p) for p in scripts().remove_source(keys=[z, m], args=[followee_id])]
    if gone:
        _put_back([follower_id], gone)
