"""The home feed: which entries (posts and retweets) a viewer sees, in which order.

Entries come from two sources, the posts and the retweets of the people the viewer follows plus the
viewer's own, merged newest first by the time each entered the feed. A post appears once, at its
newest entry (retweeted by several followees, it shows the latest retweet). Each entry has an integer
``feed_id`` (:func:`post_feed_id`, :func:`retweet_feed_id`); the ``next`` cursor
is the last entry's (time, feed_id), so new entries never shift or repeat a page. Every page after
the first also has a ``previous`` cursor, the first entry's, read the other way: the page of
entries just above it (newer), which the database selector computes for either backend.

Pages of entries are cached per viewer (``FEED_PAGE_CACHE_SECONDS``, five minutes), under a key
made of version tokens that change after commit whenever the viewer follows or unfollows, or any
source author posts, deletes, retweets or unretweets. Everything outside this module sees only
:func:`feed_page`, so the storage can change without touching the API: with ``FEED_BACKEND=redis``
it reads the fan-out timelines of :mod:`posts.timelines` and falls back to this database selector
(:func:`db_feed_page`) for what they can't answer. Either way the page's posts are hydrated by
:mod:`posts.hydration` from cached representations invalidated after commit, so counts and the
viewer's like/retweet flags are current.
"""

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from mini_twitter.observability import metrics
from users.models import Follow

from .models import Post, Retweet

logger = logging.getLogger(__name__)

MAX_ROUNDS = 8


# --- Feed ids: the one place that encodes them --------------------------------------------------
# A post's entry is 2 * its id and a retweet's 2 * the retweet's id + 1, so entries of the two
# tables never share an id and order by (time, feed id) like one table.


def post_feed_id(post_id: int) -> int:
    return 2 * post_id


def retweet_feed_id(retweet_id: int) -> int:
    return 2 * retweet_id + 1


def retweet_id_of(feed_id: int) -> int | None:
    """The retweet a feed id stands for, or None for a post's."""
    return (feed_id - 1) // 2 if feed_id % 2 else None


def ids_below(feed_id: int) -> tuple[int, int]:
    """The largest post id and retweet id whose feed ids are below ``feed_id``."""
    return (feed_id - 1) // 2, (feed_id - 2) // 2


def ids_above(feed_id: int) -> tuple[int, int]:
    """The smallest post id and retweet id whose feed ids are above ``feed_id``."""
    return feed_id // 2 + 1, (feed_id - 1) // 2 + 1


@dataclass(frozen=True)
class FeedEntry:
    post_id: int
    entry_at: datetime
    feed_id: int
    retweeted_by_id: int | None = None

    def as_json(self) -> list:
        return [self.post_id, self.entry_at.isoformat(), self.feed_id, self.retweeted_by_id]

    @classmethod
    def from_json(cls, row: list) -> "FeedEntry":
        return cls(row[0], datetime.fromisoformat(row[1]), row[2], row[3])


@dataclass(frozen=True)
class Cursor:
    """A position in the feed: the entries below it (older) or, ``reverse``, those above it."""

    entry_at: datetime
    feed_id: int
    reverse: bool = False

    def encode(self) -> str:
        fields = [self.entry_at.isoformat(), self.feed_id, *([1] if self.reverse else [])]
        raw = json.dumps(fields).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        """Raises ``ValueError`` for anything that is not a cursor this module made."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            entry_at, feed_id, *rest = json.loads(raw)
            parsed = datetime.fromisoformat(entry_at)
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError("Invalid cursor.") from exc
        if parsed.tzinfo is None or not isinstance(feed_id, int) or isinstance(feed_id, bool):
            raise ValueError("Invalid cursor.")
        if rest not in ([], [1]) or isinstance(rest[0] if rest else None, bool):
            raise ValueError("Invalid cursor.")
        return cls(parsed, feed_id, reverse=bool(rest))

    @classmethod
    def after(cls, entry: "FeedEntry") -> "Cursor":
        """The entries below (older than) this one."""
        return cls(entry.entry_at, entry.feed_id)

    @classmethod
    def before(cls, entry: "FeedEntry") -> "Cursor":
        """The entries above (newer than) this one."""
        return cls(entry.entry_at, entry.feed_id, reverse=True)


@dataclass(frozen=True)
class FeedPage:
    """Entries newest first, the cursor of the page below (``next``) and of the page above
    (``previous``; None on the first page)."""

    entries: list[FeedEntry]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None = None


# --- Cache versions -------------------------------------------------------------------------


def _author_key(user_id: int) -> str:
    return f"feed:v:author:{user_id}"


def _follows_key(user_id: int) -> str:
    return f"feed:v:follows:{user_id}"


def _bump(keys: Iterable[str]) -> None:
    cache.set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)


def invalidate_author(user_id: int) -> None:
    """The user posted, deleted, retweeted or unretweeted: feeds that include them change."""
    _bump([_author_key(user_id)])


def invalidate_authors(user_ids: Iterable[int]) -> None:
    _bump(_author_key(user_id) for user_id in set(user_ids))


def invalidate_follows(user_id: int) -> None:
    """The user followed or unfollowed someone: their own feed changes."""
    _bump([_follows_key(user_id)])


def _versions(keys: list[str]) -> list[str]:
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    if missing:
        # A lost version (eviction, restart) gets a fresh token rather than a reused default,
        # so a page cached under an older token can never match again.
        cache.set_many(missing, timeout=None)
        found.update(missing)
    return [found[key] for key in keys]


def source_user_ids(viewer_id: int) -> list[int]:
    """The viewer and everyone they follow, cached until the viewer's follows change."""
    (version,) = _versions([_follows_key(viewer_id)])
    key = f"feed:sources:{viewer_id}:{version}"
    ids = cache.get(key)
    if ids is None:
        ids = sorted({viewer_id, *Follow.objects.filter(follower_id=viewer_id).values_list("followee_id", flat=True)})
        cache.set(key, ids, settings.FEED_PAGE_CACHE_SECONDS)
    return ids


# --- Computing a page -----------------------------------------------------------------------


def _before(cursor: Cursor | None, time_field: str, id_bound: int | None) -> Q:
    if cursor is None:
        return Q()
    return Q(**{f"{time_field}__lt": cursor.entry_at}) | Q(**{time_field: cursor.entry_at, "id__lte": id_bound})


def _key(entry) -> tuple[datetime, int]:
    return (entry.entry_at, entry.feed_id)


def _compute_page(source_ids: list[int], cursor: Cursor | None, size: int) -> FeedPage:
    wanted = size + 1  # one more than a page tells whether there is a next one
    newest: dict[int, FeedEntry] = {}  # post id -> its newest entry fetched so far
    post_cursor = retweet_cursor = cursor
    posts_done = retweets_done = False
    final: list[FeedEntry] = []
    checked: set[int] = set()  # post ids asked about by _shown_earlier in earlier rounds
    shown_earlier: set[int] = set()
    for _ in range(MAX_ROUNDS):
        if not posts_done:
            bound = ids_below(post_cursor.feed_id)[0] if post_cursor else None
            rows = list(
                Post.objects.filter(_before(post_cursor, "created_at", bound), author_id__in=source_ids)
                .order_by("-created_at", "-id")
                .values_list("id", "created_at")[:wanted]
            )
            posts_done = len(rows) < wanted
            entries = [FeedEntry(post_id, at, post_feed_id(post_id)) for post_id, at in rows]
            post_cursor = Cursor(entries[-1].entry_at, entries[-1].feed_id) if entries else post_cursor
            _keep_newest(newest, entries)
        if not retweets_done:
            bound = ids_below(retweet_cursor.feed_id)[1] if retweet_cursor else None
            rows = list(
                Retweet.objects.filter(_before(retweet_cursor, "created_at", bound), user_id__in=source_ids)
                .order_by("-created_at", "-id")
                .values_list("id", "post_id", "user_id", "created_at")[:wanted]
            )
            retweets_done = len(rows) < wanted
            entries = [FeedEntry(post_id, at, retweet_feed_id(rt_id), user_id) for rt_id, post_id, user_id, at in rows]
            retweet_cursor = Cursor(entries[-1].entry_at, entries[-1].feed_id) if entries else retweet_cursor
            _keep_newest(newest, entries)
        # Whatever a source has not yielded yet is older than its last fetched entry, so entries at
        # or above the newer of those points are final.
        open_points = [_key(c) for c, done in ((post_cursor, posts_done), (retweet_cursor, retweets_done)) if not done]
        horizon = max(open_points, default=None)
        final = sorted((e for e in newest.values() if horizon is None or _key(e) >= horizon), key=_key, reverse=True)
        if cursor is not None:
            unchecked = {e.post_id for e in final} - checked
            if unchecked:
                shown_earlier |= _shown_earlier(unchecked, source_ids, cursor)
                checked |= unchecked
            final = [e for e in final if e.post_id not in shown_earlier]
        if len(final) >= wanted or (posts_done and retweets_done):
            break
    page = final[:size]
    has_next = len(final) > size
    next_cursor = Cursor(page[-1].entry_at, page[-1].feed_id) if has_next and page else None
    return FeedPage(page, next_cursor)


def _after(cursor: Cursor, time_field: str, id_from: int) -> Q:
    return Q(**{f"{time_field}__gt": cursor.entry_at}) | Q(**{time_field: cursor.entry_at, "id__gte": id_from})


def _compute_page_before(source_ids: list[int], cursor: Cursor, size: int) -> FeedPage:
    """The page just above a reverse cursor: the ``size`` entries of the feed nearest above it
    (each post at its newest entry, as on forward pages), newest first. Posts and retweets are read
    upwards, oldest first, in rounds, like :func:`_compute_page` downwards."""
    wanted = size + 1  # one more than a page tells whether there is a page above it
    # The first post / retweet id above the cursor at its very time.
    post_from, retweet_from = ids_above(cursor.feed_id)
    post_cursor = retweet_cursor = cursor
    posts_done = retweets_done = False
    scanned: dict[int, FeedEntry] = {}  # post id -> its newest entry read so far
    newest: dict[int, tuple[datetime, int]] = {}  # post id -> the key of its newest retweet
    final: list[FeedEntry] = []
    for _ in range(MAX_ROUNDS):
        if not posts_done:
            rows = list(
                Post.objects.filter(_after(post_cursor, "created_at", post_from), author_id__in=source_ids)
                .order_by("created_at", "id")
                .values_list("id", "created_at")[:wanted]
            )
            posts_done = len(rows) < wanted
            entries = [FeedEntry(post_id, at, post_feed_id(post_id)) for post_id, at in rows]
            if entries:
                post_cursor, post_from = Cursor.after(entries[-1]), entries[-1].post_id + 1
            _keep_newest(scanned, entries)
        if not retweets_done:
            rows = list(
                Retweet.objects.filter(_after(retweet_cursor, "created_at", retweet_from), user_id__in=source_ids)
                .order_by("created_at", "id")
                .values_list("id", "post_id", "user_id", "created_at")[:wanted]
            )
            retweets_done = len(rows) < wanted
            entries = [FeedEntry(post_id, at, retweet_feed_id(rt_id), user_id) for rt_id, post_id, user_id, at in rows]
            if entries:
                retweet_cursor, retweet_from = Cursor.after(entries[-1]), ids_above(entries[-1].feed_id)[1]
            _keep_newest(scanned, entries)
        # Whatever a source has not yielded yet is newer than its last fetched entry.
        open_points = [
            (c.entry_at, c.feed_id)
            for c, done in ((post_cursor, posts_done), (retweet_cursor, retweets_done))
            if not done
        ]
        horizon = min(open_points, default=None)
        unchecked = [post_id for post_id in scanned if post_id not in newest]
        if unchecked:
            newest |= _newest_entries(unchecked, source_ids, cursor)
        # A post shows at its newest entry only: one retweeted again above that is not shown yet.
        final = sorted(
            (
                e
                for e in scanned.values()
                if (horizon is None or _key(e) <= horizon) and newest.get(e.post_id, _key(e)) <= _key(e)
            ),
            key=_key,
        )
        if len(final) >= wanted or (posts_done and retweets_done):
            break
    page = final[:size]
    more_above = len(final) > size or not (posts_done and retweets_done)
    previous = Cursor.before(page[-1]) if more_above and page else None
    # Below this page lies the page the cursor came from: the cursor's own entry and older.
    next_cursor = Cursor.after(page[0]) if page else Cursor(cursor.entry_at, cursor.feed_id + 1)
    return FeedPage(list(reversed(page)), next_cursor, previous)


def _newest_entries(post_ids: list[int], source_ids: list[int], cursor: Cursor) -> dict[int, tuple[datetime, int]]:
    """The key of each post's newest retweet by the sources above the cursor's time (a post's own
    entry is older than its retweets)."""
    newest: dict[int, tuple[datetime, int]] = {}
    for post_id, at, rt_id in Retweet.objects.filter(
        post_id__in=post_ids, user_id__in=source_ids, created_at__gte=cursor.entry_at
    ).values_list("post_id", "created_at", "id"):
        key = (at, retweet_feed_id(rt_id))
        if post_id not in newest or key > newest[post_id]:
            newest[post_id] = key
    return newest


def _keep_newest(newest: dict[int, FeedEntry], entries: list[FeedEntry]) -> None:
    for entry in entries:
        current = newest.get(entry.post_id)
        if current is None or _key(entry) > _key(current):
            newest[entry.post_id] = entry


def _shown_earlier(post_ids: set[int], source_ids: list[int], cursor: Cursor) -> set[int]:
    """Of these posts, those whose newest entry is above the cursor: shown on an earlier page (or at
    the top on refresh), so their older entries must not show them again."""
    return set(
        Retweet.objects.filter(
            post_id__in=post_ids, user_id__in=source_ids, created_at__gte=cursor.entry_at
        ).values_list("post_id", flat=True)
    )


def feed_page(*, viewer_id: int, cursor: Cursor | None, size: int) -> FeedPage:
    """One page of the viewer's feed (entries only; the caller hydrates the posts): from the Redis
    timeline with ``FEED_BACKEND=redis`` (:mod:`posts.timelines`), else, and whenever the timeline
    can't answer (not built yet, a page below what it holds, Redis down, a page read upwards from
    a ``previous`` cursor), from the database."""
    from . import timelines

    if timelines.enabled() and not (cursor and cursor.reverse):
        try:
            page = timelines.read_page(viewer_id=viewer_id, cursor=cursor, size=size)
        except redis.RedisError as exc:
            logger.warning("feed of %s served from the database: %s", viewer_id, exc)
            page = None
        if page is not None:
            metrics.feed_request(cache_hit=True)
            return _linked_back(page, cursor)
    return _linked_back(db_feed_page(viewer_id=viewer_id, cursor=cursor, size=size), cursor)


def _linked_back(page: FeedPage, cursor: Cursor | None) -> FeedPage:
    """A page read downwards from a cursor links back up from its first entry (or, empty, from the
    cursor's own entry and newer); the first page and pages read upwards keep their own link."""
    if cursor is None or cursor.reverse:
        return page
    top = Cursor.before(page.entries[0]) if page.entries else Cursor(cursor.entry_at, cursor.feed_id - 1, True)
    return FeedPage(page.entries, page.next_cursor, top)


def db_feed_page(*, viewer_id: int, cursor: Cursor | None, size: int) -> FeedPage:
    """The database selector: one page computed from posts and retweets, cached under versions."""
    source_ids = source_user_ids(viewer_id)
    versions = _versions([_author_key(user_id) for user_id in source_ids])
    digest = hashlib.sha1("|".join(versions).encode(), usedforsecurity=False).hexdigest()
    key = f"feed:page:{viewer_id}:{digest}:{cursor.encode() if cursor else '-'}:{size}"
    cached = cache.get(key)
    metrics.feed_request(cache_hit=cached is not None)
    if cached is not None:
        entries = [FeedEntry.from_json(row) for row in cached["entries"]]
        return FeedPage(entries, *(Cursor.decode(cached[k]) if cached.get(k) else None for k in ("next", "previous")))
    if cursor is not None and cursor.reverse:
        page = _compute_page_before(source_ids, cursor, size)
    else:
        page = _compute_page(source_ids, cursor, size)
    cache.set(
        key,
        {
            "entries": [e.as_json() for e in page.entries],
            "next": page.next_cursor.encode() if page.next_cursor else None,
            "previous": page.previous_cursor.encode() if page.previous_cursor else None,
        },
        settings.FEED_PAGE_CACHE_SECONDS,
    )
    return page
