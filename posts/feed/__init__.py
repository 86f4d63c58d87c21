"""The home feed: which entries (posts and retweets) a viewer sees, in which order, a page at a time.

Entries come from the posts and the retweets of the people the viewer follows plus the viewer's
own, merged newest first by the time each entered the feed; a post appears once, at its newest
entry. Each entry has an integer ``feed_id``; the ``next`` cursor is the last entry's
``(time, feed_id)``, so new entries never shift or repeat a page. Every page after the first also
has a ``previous`` cursor, the first entry's, read the other way: the page of entries just above it
(newer), which the database store computes for either backend.

Two stores answer: the Redis timelines (:mod:`.timelines`, filled by :mod:`.fanout`) with
``FEED_BACKEND=redis``, and the database (:mod:`.db`), which is the whole feed without Redis and
answers whatever the timelines can't. Outside this package code calls :func:`feed_page` (and
imports the names below from here), so the storage can change without touching the API. Imports
run one way: ``entries`` <- ``db`` <- ``timelines`` (with ``scripts``) <- ``fanout``; the tasks
(``posts.tasks``) call this package, never the other way: what the package needs scheduled it
returns (:class:`.fanout.FanoutPlan`) or announces (:data:`.timelines.rebuild_wanted`).
"""

import logging

from mini_twitter.observability import metrics

from . import timelines
from .db import db_feed_page, invalidate_author, invalidate_authors, invalidate_follows, source_user_ids
from .entries import Cursor, FeedEntry, FeedPage

__all__ = [
    "Cursor",
    "FeedEntry",
    "FeedPage",
    "db_feed_page",
    "feed_page",
    "invalidate_author",
    "invalidate_authors",
    "invalidate_follows",
    "source_user_ids",
]

logger = logging.getLogger(__name__)


def feed_page(*, viewer_id: int, cursor: Cursor | None, size: int, exclude: frozenset[int] = frozenset()) -> FeedPage:
    """One page of the viewer's feed (entries only; the caller hydrates the posts): from the Redis
    timeline with ``FEED_BACKEND=redis``, else, and whenever the timeline can't answer (not built
    yet, a page below what it holds, Redis down, a page read upwards from a ``previous`` cursor),
    from the database. ``exclude``: accounts the viewer blocks, is blocked by or mutes; the caller
    leaves out their posts, and a page holding a retweet by one of them of a post the viewer would
    see at its own entry comes from the database, which shows it there (a timeline keeps a post's
    newest entry only)."""
    if timelines.enabled() and not (cursor and cursor.reverse):
        try:
            page = timelines.read_page(viewer_id=viewer_id, cursor=cursor, size=size)
        except timelines.ERRORS as exc:
            logger.warning("feed of %s served from the database: %s", viewer_id, exc)
            page = None
        if page is not None and exclude and _hides_own_entry(page, viewer_id=viewer_id, exclude=exclude):
            page = None
        if page is not None:
            metrics.feed_request(cache_hit=True)
            return _linked_back(page, cursor)
    return _linked_back(db_feed_page(viewer_id=viewer_id, cursor=cursor, size=size, exclude=exclude), cursor)


def _hides_own_entry(page: FeedPage, *, viewer_id: int, exclude: frozenset[int]) -> bool:
    """Whether a retweet on the page by an excluded account stands in for the post's own entry in
    the viewer's feed: its author is the viewer or someone they follow (and not excluded), or is
    not known."""
    retweeted = [e.author_id for e in page.entries if e.retweeted_by_id in exclude]
    if not retweeted:
        return False
    if None in retweeted:
        return True
    sources = set(source_user_ids(viewer_id))
    return any(author_id in sources and author_id not in exclude for author_id in retweeted)


def _linked_back(page: FeedPage, cursor: Cursor | None) -> FeedPage:
    """A page read downwards from a cursor links back up from its first entry (or, empty, from the
    cursor's own entry and newer); the first page and pages read upwards keep their own link."""
    if cursor is None or cursor.reverse:
        return page
    top = Cursor.before(page.entries[0]) if page.entries else Cursor(cursor.entry_at, cursor.feed_id - 1, True)
    return FeedPage(page.entries, page.next_cursor, top)
