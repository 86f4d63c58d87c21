"""The database store of the home feed: pages computed from posts and retweets on read, cached.

A viewer's feed is the posts and retweets of the people they follow plus their own, newest first
by the time each entered the feed, each post once, at its newest entry (retweeted by several
followees, it shows the latest retweet). Pages go down from a ``next`` cursor or up from a
``previous`` one (:func:`compute_page`, one implementation for both directions).

Pages of entries are cached per viewer (``FEED_PAGE_CACHE_SECONDS``, five minutes), under a key
made of version tokens that change after commit whenever the viewer follows or unfollows, or any
source author posts, deletes, retweets or unretweets.
"""

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from mini_twitter.observability import metrics
from users.models import Follow

from ..models import Post, Retweet
from .entries import Cursor, FeedEntry, FeedPage, ids_above, ids_below, keep_newest

MAX_ROUNDS = 8


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


def _post_entries(source_ids: list[int], where: Q, order: tuple[str, str], limit: int) -> list[FeedEntry]:
    rows = Post.objects.filter(where, author_id__in=source_ids).order_by(*order).values_list("id", "created_at")
    return [FeedEntry.for_post(post_id=post_id, created_at=at) for post_id, at in rows[:limit]]


def _retweet_entries(source_ids: list[int], where: Q, order: tuple[str, str], limit: int) -> list[FeedEntry]:
    rows = (
        Retweet.objects.filter(where, user_id__in=source_ids)
        .order_by(*order)
        .values_list("id", "post_id", "user_id", "created_at")
    )
    return [
        FeedEntry.for_retweet(retweet_id=rt_id, post_id=post_id, user_id=user_id, created_at=at)
        for rt_id, post_id, user_id, at in rows[:limit]
    ]


def rows_beyond(key: tuple[datetime, int], *, table: int, above: bool) -> Q:
    """Rows of one table (0: posts, 1: retweets; ``created_at`` and ``id``) whose feed entries lie
    above (newer than) or below the entry key ``(time, feed id)``."""
    at, feed_id = key
    if above:
        return Q(created_at__gt=at) | Q(created_at=at, id__gte=ids_above(feed_id)[table])
    return Q(created_at__lt=at) | Q(created_at=at, id__lte=ids_below(feed_id)[table])


@dataclass
class _Scan:
    """One table's entries (posts, or retweets), read in rounds away from the cursor: downwards
    (older) or, ``up``, upwards (newer). ``point`` is the key of the last entry read."""

    read_rows: Callable[[list[int], Q, tuple[str, str], int], list[FeedEntry]]
    table: int  # 0: posts, 1: retweets (the index in ids_below / ids_above)
    point: tuple[datetime, int] | None
    up: bool
    done: bool = False

    def _beyond_point(self) -> Q:
        return Q() if self.point is None else rows_beyond(self.point, table=self.table, above=self.up)

    def read(self, source_ids: list[int], limit: int) -> list[FeedEntry]:
        order = ("created_at", "id") if self.up else ("-created_at", "-id")
        entries = self.read_rows(source_ids, self._beyond_point(), order, limit)
        self.done = len(entries) < limit
        if entries:
            self.point = entries[-1].key
        return entries


def compute_page(source_ids: list[int], cursor: Cursor | None, size: int) -> FeedPage:
    """One page of the feed of these accounts: the ``size`` entries nearest below the cursor (the
    first page without one), or, for a reverse cursor, nearest above it; newest first either way.
    Posts and retweets are read away from the cursor in rounds and merged until the page is
    certain."""
    up = cursor is not None and cursor.reverse
    wanted = size + 1  # one more than a page tells whether there is another beyond it
    start = cursor.key if cursor is not None else None
    scans = [_Scan(_post_entries, 0, start, up), _Scan(_retweet_entries, 1, start, up)]
    scanned: dict[int, FeedEntry] = {}  # post id -> its newest entry read so far
    newer: dict[int, FeedEntry] = {}  # post id -> its newest retweet from the cursor's time on
    checked: set[int] = set()  # post ids looked up in ``newer`` by earlier rounds
    final: list[FeedEntry] = []
    for _ in range(MAX_ROUNDS):
        for scan in scans:
            if not scan.done:
                keep_newest(scanned, scan.read(source_ids, wanted))
        # Whatever a table has not yielded yet lies beyond its last entry read, so the entries up to
        # the nearer of those points are final.
        open_points = [scan.point for scan in scans if not scan.done]
        horizon = (min if up else max)(open_points, default=None)
        final = [e for e in scanned.values() if horizon is None or (e.key <= horizon if up else e.key >= horizon)]
        if cursor is not None:
            unchecked = {e.post_id for e in final} - checked
            if unchecked:
                newer |= _newest_retweets(unchecked, source_ids, cursor)
                checked |= unchecked
            # A post shows at its newest entry only: below the cursor, one retweeted above it was
            # shown earlier (or at the top on refresh); above it, one retweeted again higher up
            # shows there.
            final = [e for e in final if e.post_id not in newer or newer[e.post_id].key <= e.key]
        final.sort(key=lambda e: e.key, reverse=not up)
        if len(final) >= wanted or all(scan.done for scan in scans):
            break
    page = final[:size]
    if not up:
        return FeedPage(page, Cursor.after(page[-1]) if len(final) > size and page else None)
    more_above = len(final) > size or not all(scan.done for scan in scans)
    previous = Cursor.before(page[-1]) if more_above and page else None
    # Below this page lies the page the cursor came from: the cursor's own entry and older.
    next_cursor = Cursor.after(page[0]) if page else Cursor(cursor.entry_at, cursor.feed_id + 1)
    return FeedPage(list(reversed(page)), next_cursor, previous)


def _newest_retweets(post_ids: set[int], source_ids: list[int], cursor: Cursor) -> dict[int, FeedEntry]:
    """Each post's newest retweet by the sources from the cursor's time on (a post's own entry is
    older than its retweets)."""
    rows = Retweet.objects.filter(
        post_id__in=post_ids, user_id__in=source_ids, created_at__gte=cursor.entry_at
    ).values_list("id", "post_id", "user_id", "created_at")
    return keep_newest(
        {},
        (
            FeedEntry.for_retweet(retweet_id=rt_id, post_id=post_id, user_id=user_id, created_at=at)
            for rt_id, post_id, user_id, at in rows
        ),
    )


def db_feed_page(
    *, viewer_id: int, cursor: Cursor | None, size: int, exclude: frozenset[int] = frozenset()
) -> FeedPage:
    """One page computed from posts and retweets, cached under the versions of its sources.
    ``exclude``: accounts whose posts and retweets are left out (blocked or muted by the viewer), so
    a post retweeted by one of them shows at its own entry."""
    source_ids = source_user_ids(viewer_id)
    if exclude:
        source_ids = [user_id for user_id in source_ids if user_id not in exclude or user_id == viewer_id]
    versions = _versions([_author_key(user_id) for user_id in source_ids])
    # The sources are in the key too: leaving one out (a mute, a block, a mute ending) is another page.
    parts = [*versions, ",".join(map(str, source_ids))] if exclude else versions
    digest = hashlib.sha1("|".join(parts).encode(), usedforsecurity=False).hexdigest()
    key = f"feed:entries:{viewer_id}:{digest}:{cursor.encode() if cursor else '-'}:{size}"
    cached = cache.get(key)
    metrics.feed_request(cache_hit=cached is not None)
    if cached is not None:
        entries = [FeedEntry.from_list(row) for row in cached["entries"]]
        return FeedPage(entries, *(Cursor.decode(cached[k]) if cached.get(k) else None for k in ("next", "previous")))
    page = compute_page(source_ids, cursor, size)
    cache.set(
        key,
        {
            "entries": [e.as_list() for e in page.entries],
            "next": page.next_cursor.encode() if page.next_cursor else None,
            "previous": page.previous_cursor.encode() if page.previous_cursor else None,
        },
        settings.FEED_PAGE_CACHE_SECONDS,
    )
    return page
