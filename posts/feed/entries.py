"""Feed entries, cursors and pages, shared by both stores: how a feed id is encoded and which entry
of a post the feed shows are written here once.

A post's entry has the feed id ``2 * post id`` and a retweet's ``2 * retweet id + 1``, so entries
of the two tables never share an id and order by ``(time, feed id)`` (:attr:`FeedEntry.key`) like
one table. A post appears in a feed once, at its newest entry (:func:`keep_newest`).
"""

import base64
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


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


def micros(at: datetime) -> int:
    """Microseconds since the epoch: exact in a double up to 2^53, so a Redis score holds a time."""
    return (at - EPOCH) // ONE_US


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class FeedEntry:
    """A post in a feed: its own entry, or a retweet of it (``retweeted_by_id``). ``author_id`` is
    the post's author where it is known (the Redis timelines store it, to find an account's
    entries); the database store leaves it out."""

    post_id: int
    entry_at: datetime
    feed_id: int
    retweeted_by_id: int | None = None
    author_id: int | None = None

    @property
    def key(self) -> tuple[datetime, int]:
        """The feed's order: newer entries have greater keys."""
        return (self.entry_at, self.feed_id)

    @classmethod
    def for_post(cls, *, post_id: int, created_at: datetime, author_id: int | None = None) -> "FeedEntry":
        return cls(post_id, created_at, post_feed_id(post_id), None, author_id)

    @classmethod
    def for_retweet(
        cls, *, retweet_id: int, post_id: int, user_id: int, created_at: datetime, author_id: int | None = None
    ) -> "FeedEntry":
        return cls(post_id, created_at, retweet_feed_id(retweet_id), user_id, author_id)

    def as_list(self) -> list[int]:
        """The entry as JSON integers (task arguments, cached pages); the time in microseconds."""
        return [self.post_id, micros(self.entry_at), self.feed_id, self.author_id or 0, self.retweeted_by_id or 0]

    @classmethod
    def from_list(cls, row: Sequence[int]) -> "FeedEntry":
        post_id, at, feed_id, author_id, retweeted_by_id = row
        return cls(post_id, from_micros(at), feed_id, retweeted_by_id or None, author_id or None)


def keep_newest(newest: dict[int, FeedEntry], entries: Iterable[FeedEntry]) -> dict[int, FeedEntry]:
    """Put each entry in ``newest`` (post id -> entry) unless its post has a newer one there."""
    for entry in entries:
        current = newest.get(entry.post_id)
        if current is None or entry.key > current.key:
            newest[entry.post_id] = entry
    return newest


@dataclass(frozen=True)
class Cursor:
    """A position in the feed: the entries below it (older) or, ``reverse``, those above it."""

    entry_at: datetime
    feed_id: int
    reverse: bool = False

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.entry_at, self.feed_id)

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
    def after(cls, entry: FeedEntry) -> "Cursor":
        """The entries below (older than) this one."""
        return cls(entry.entry_at, entry.feed_id)

    @classmethod
    def before(cls, entry: FeedEntry) -> "Cursor":
        """The entries above (newer than) this one."""
        return cls(entry.entry_at, entry.feed_id, reverse=True)


@dataclass(frozen=True)
class FeedPage:
    """Entries newest first, the cursor of the page below (``next``) and of the page above
    (``previous``; None on the first page)."""

    entries: list[FeedEntry]
    next_cursor: Cursor | None
    previous_cursor: Cursor | None = None
