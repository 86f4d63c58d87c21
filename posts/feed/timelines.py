"""The Redis store of the home feed (``FEED_BACKEND=redis``): home timelines filled by fan-out on
write (:mod:`posts.feed.fanout`), read here in one script call, and built from the database.

Each active user's home timeline is a sorted set ``tl:h:<user>`` of post ids scored by the time the
post entered the feed in microseconds since the epoch (exact in a double up to 2^53, so the score
*is* the cursor's ``entry_at``), beside a hash ``tl:hm:<user>`` from post id to
``"<feed_id>:<author id>:<retweeter id or 0>"``. A post is a member once, at its newest entry: an
entry only replaces the member's score when it is newer (ties by ``feed_id``), so the feed's dedupe
and its ``(entry_at, feed_id)`` cursor hold in Redis exactly as in the database store. The hash also
carries the timeline's state in fields starting with ``_``: ``_b`` (built), ``_k`` (the followed
accounts merged in at read time) and ``_h`` (the horizon: entries at or below that score may be
missing, because the set was capped or rebuilt partially). Pages above the horizon come from
Redis; pages below it come from the database store. Both keys, and every change to them, go
through the Lua scripts of :mod:`posts.feed.scripts`, so they stay consistent and capped at
``TIMELINE_MAX_ENTRIES`` atomically. A user timeline ``tl:u:<user>`` (same layout: the account's
own entries) is what followers of an account with more than ``TIMELINE_CELEBRITY_FOLLOWERS``
followers merge in at read time instead of fan-out.

Timelines expire after ``TIMELINE_ACTIVE_DAYS`` days without a read, so inactive users cost
nothing. Redis holds nothing that the database does not: a missing timeline is rebuilt from the
database, in a task asked for through :data:`rebuild_wanted`, and served from the database
meanwhile. The read script reaches the merged accounts' keys by name, which is fine on one Redis
server (not on Redis Cluster).
"""

import logging
import secrets
from collections.abc import Iterable
from functools import lru_cache

import redis
from django.conf import settings
from django.dispatch import Signal

from users.models import Follow

from ..models import Post
from .db import compute_page
from .entries import Cursor, FeedEntry, FeedPage, from_micros, micros
from .scripts import Scripts

logger = logging.getLogger(__name__)

PREFIX = "tl:"
CELEBRITIES_KEY = f"{PREFIX}celebrities"
BUILDING_SECONDS = 60

# Sent with ``home_id`` (a home timeline) or ``user_id`` (a user timeline) when a read finds the
# timeline missing and no build of it under way: a receiver schedules :func:`rebuild_home` or
# :func:`rebuild_user` (``posts.signals``). Lost, it is sent again by the next read.
rebuild_wanted = Signal()


def enabled() -> bool:
    return settings.FEED_BACKEND == "redis" and bool(settings.REDIS_URL)


def home_keys(user_id: int) -> tuple[str, str, str]:
    """(sorted set, hash, "being rebuilt" marker) of a home timeline."""
    return f"{PREFIX}h:{user_id}", f"{PREFIX}hm:{user_id}", f"{PREFIX}hb:{user_id}"


def user_keys(user_id: int) -> tuple[str, str, str]:
    """The same for a user timeline (the account's own posts and retweets)."""
    return f"{PREFIX}u:{user_id}", f"{PREFIX}um:{user_id}", f"{PREFIX}ub:{user_id}"


def ttl_seconds() -> int:
    return max(1, settings.TIMELINE_ACTIVE_DAYS) * 86400


def max_entries() -> int:
    return settings.TIMELINE_MAX_ENTRIES


def is_celebrity(followers_count: int) -> bool:
    return followers_count > settings.TIMELINE_CELEBRITY_FOLLOWERS


# --- An entry in Redis: the member, its score and its value -------------------------------------


def script_args(entry: FeedEntry) -> list:
    """(member, score, value) as the scripts take an entry."""
    value = f"{entry.feed_id}:{entry.author_id or 0}:{entry.retweeted_by_id or 0}"
    return [entry.post_id, micros(entry.entry_at), value]


def entry_of(member: bytes | str | int, score: bytes | float | int, value: bytes) -> FeedEntry:
    feed_id, author_id, retweeter_id = (int(x) for x in value.split(b":"))
    return FeedEntry(int(member), from_micros(int(score)), feed_id, retweeter_id or None, author_id or None)


# --- Redis ------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _connect(url: str) -> tuple[redis.Redis, Scripts]:
    conn = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)
    return conn, Scripts(conn)


def client() -> redis.Redis:
    return _connect(settings.REDIS_URL)[0]


def scripts() -> Scripts:
    return _connect(settings.REDIS_URL)[1]


def unlink_matching(conn: redis.Redis, pattern: str, *, batch_size: int = 5000) -> int:
    """Delete the keys that match ``pattern``, a batch at a time (SCAN, then UNLINK); how many."""
    deleted, batch = 0, []
    for key in conn.scan_iter(match=pattern, count=batch_size):
        batch.append(key)
        if len(batch) >= batch_size:
            deleted += conn.unlink(*batch)
            batch = []
    if batch:
        deleted += conn.unlink(*batch)
    return deleted


def clear_all() -> int:
    """Delete every timeline key (tests, benchmarks): they are rebuilt on the next read."""
    return unlink_matching(client(), f"{PREFIX}*")


# --- Reading --------------------------------------------------------------------------------


def read_page(*, viewer_id: int, cursor: Cursor | None, size: int) -> FeedPage | None:
    """A page from the viewer's timeline, or None when the database must answer: the timeline (or
    a merged account's) is not built yet (a rebuild is asked for), or the page reaches below what
    Redis holds. Raises ``redis.RedisError`` when Redis fails."""
    z, m, _ = home_keys(viewer_id)
    max_score = str(micros(cursor.entry_at)) if cursor else "+inf"
    cursor_fid = str(cursor.feed_id) if cursor else "-1"
    result = scripts().read(keys=[z, m], args=[max_score, cursor_fid, size + 1, ttl_seconds(), PREFIX])
    kind = result[0]
    if kind == b"cold":
        for raw in result[1:]:
            account = int(raw)  # 0: the home timeline itself
            if account == 0:
                request_rebuild(home_id=viewer_id)
            else:
                request_rebuild(user_id=account)
        return None
    if kind == b"db":
        return None
    complete = result[1] == b"1"
    entries = [entry_of(*result[i : i + 3]) for i in range(2, len(result), 3)]
    page = entries[:size]
    has_next = len(entries) > size or (not complete and len(page) == size)
    return FeedPage(page, Cursor.after(page[-1]) if has_next and page else None)


def recent_entries(account_id: int) -> list[FeedEntry]:
    """The account's newest own entries: from its user timeline when built, else the database."""
    z, m, _ = user_keys(account_id)
    conn = client()
    if conn.hexists(m, "_b"):
        rows = conn.zrevrange(z, 0, max_entries() - 1, withscores=True)
        values = conn.hmget(m, [post for post, _ in rows]) if rows else []
        return [entry_of(post, score, value) for (post, score), value in zip(rows, values, strict=True) if value]
    return with_authors(compute_page([account_id], None, max_entries()).entries)


def request_rebuild(*, home_id: int | None = None, user_id: int | None = None) -> None:
    """Ask once for a rebuild (the "being rebuilt" marker doubles as the lock)."""
    marker = home_keys(home_id)[2] if home_id is not None else user_keys(user_id)[2]
    if client().set(marker, 1, nx=True, ex=BUILDING_SECONDS):
        rebuild_wanted.send(sender=__name__, home_id=home_id, user_id=user_id)


# --- Building from the database -------------------------------------------------------------


def with_authors(entries: list[FeedEntry]) -> list[FeedEntry]:
    """The entries with their posts' authors (which the timelines store), those of posts gone left
    out."""
    authors = dict(Post.objects.filter(pk__in={e.post_id for e in entries}).values_list("id", "author_id"))
    return [
        FeedEntry(e.post_id, e.entry_at, e.feed_id, e.retweeted_by_id, authors[e.post_id])
        for e in entries
        if e.post_id in authors
    ]


def _load(keys: tuple[str, str, str], source_ids: list[int], merged: list[int]) -> int:
    conn = client()
    # From now on fan-out writes land in the timeline being built, so nothing committed while the
    # database is read below is missed; a removal meanwhile (an unfollow, a deleted post) takes the
    # marker away instead, and this build is dropped (the next read starts another).
    token = secrets.token_hex(8)
    conn.set(keys[2], token, ex=BUILDING_SECONDS)
    page = compute_page(source_ids, None, max_entries())
    entries = with_authors(page.entries)
    horizon = str(micros(entries[-1].entry_at)) if page.next_cursor is not None and entries else ""
    args: list = [max_entries(), ttl_seconds(), horizon, ",".join(map(str, merged)), token]
    for entry in entries:
        args += script_args(entry)
    if not scripts().load(keys=list(keys), args=args):
        logger.info("timeline %s changed while it was built; built again on its next read", keys[0])
        return 0
    return len(entries)


def stop_builds(markers: Iterable[str]) -> None:
    """Called after a removal commits: builds under way may have read the database before it."""
    markers = list(markers)
    if markers:
        client().delete(*markers)


def rebuild_home(user_id: int) -> int:
    """The user's home timeline from the database: their own entries and those of the accounts
    they follow, except celebrities, which are merged in at read time."""
    followees = list(
        Follow.objects.filter(follower_id=user_id).values_list("followee_id", "followee__profile__followers_count")
    )
    celebrities = sorted(f for f, count in followees if is_celebrity(count or 0))
    sources = sorted({user_id, *(f for f, count in followees if not is_celebrity(count or 0))})
    return _load(home_keys(user_id), sources, celebrities)


def rebuild_user(user_id: int) -> int:
    return _load(user_keys(user_id), [user_id], [])
