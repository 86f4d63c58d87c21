"""Reads for posts: querysets that carry what the post serializer needs (author, hashtags, mentions
and the viewer's like/retweet/bookmark flags) in a fixed number of queries, holding only the posts the viewer
may see (:mod:`posts.visibility`)."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Value
from django.db.models.functions import Lower, TruncDate
from django.shortcuts import get_object_or_404
from django.utils import timezone

from media.models import Media
from media.serializers import post_media_data_of
from users.models import User
from users.selectors import relationship_sets

from . import feed, hydration, visibility
from .models import Bookmark, Hashtag, Like, Post, PostEdit, PostHashtag, Retweet

TRENDING_CACHE_SECONDS = 60
TRENDING_WINDOW = timedelta(hours=24)
# Days of a hashtag's history (Mastodon shows a week).
HISTORY_DAYS = 7
SEARCH_CONFIG = "simple"


def post_list(*, viewer=None, listing: bool = False, context: visibility.Context = "default") -> QuerySet[Post]:
    """The posts the viewer may see, unordered, with what ``PostSerializer`` shows; ``listing``:
    browsed rather than reached by link, feed or author (no ``unlisted`` posts); ``context``: where
    they are read (see :mod:`posts.visibility`)."""
    qs = (
        visibility.post_list_visible(viewer, listing=listing, context=context)
        .select_related("author__profile")
        .prefetch_related(
            Prefetch("hashtags", queryset=Hashtag.objects.order_by("name").only("id", "name")),
            Prefetch("mentions", queryset=User.objects.order_by(Lower("username")).only("id", "username")),
            Prefetch("media", queryset=Media.objects.order_by("position", "id")),
        )
    )
    if viewer is not None and viewer.is_authenticated:
        return qs.annotate(
            is_liked=Exists(Like.objects.filter(user=viewer, post=OuterRef("pk"))),
            is_retweeted=Exists(Retweet.objects.filter(user=viewer, post=OuterRef("pk"))),
            is_bookmarked=Exists(Bookmark.objects.filter(user=viewer, post=OuterRef("pk"))),
        )
    return qs.annotate(is_liked=Value(False), is_retweeted=Value(False), is_bookmarked=Value(False))


def post_get(*, post_id: int, viewer=None) -> Post:
    return get_object_or_404(post_list(viewer=viewer), pk=post_id)


def bookmark_list(*, user) -> QuerySet[Post]:
    """The posts the user bookmarked and may still see, each with ``bookmark_id`` and
    ``bookmarked_at`` (its bookmark's), most recently bookmarked first (by ``bookmark_id``)."""
    return (
        post_list(viewer=user)
        .filter(bookmarks__user=user)
        .annotate(bookmark_id=F("bookmarks__id"), bookmarked_at=F("bookmarks__created_at"))
        .order_by("-bookmark_id")
    )


def post_list_pinned(*, author_id: int, viewer=None) -> QuerySet[Post]:
    """The posts the author pinned that the viewer may see, most recently pinned first."""
    return post_list(viewer=viewer).filter(author_id=author_id, pinned_at__isnull=False).order_by("-pinned_at", "-id")


def post_history_list(*, post: Post) -> list[dict]:
    """The versions of a post, oldest first, the current one last (a post never edited has that
    one only): ``{content, spoiler_text, sensitive, media, created_at}``, media as
    ``media.serializers.post_media_data`` (URLs relative). ``post`` is loaded with its media
    (:func:`post_get`); one query for the earlier versions."""
    versions = [
        {
            "content": edit.content,
            "spoiler_text": edit.spoiler_text,
            "sensitive": edit.sensitive,
            "media": edit.media,
            "created_at": edit.created_at,
        }
        for edit in PostEdit.objects.filter(post=post).order_by("created_at", "id")
    ]
    versions.append(post_version_of(post))
    return versions


def post_version_of(post: Post) -> dict:
    """The post as it reads now, as a version of :func:`post_history_list` (and as
    ``posts.services.post_update`` keeps it before an edit)."""
    return {
        "content": post.content,
        "spoiler_text": post.spoiler_text,
        "sensitive": post.sensitive,
        "media": [post_media_data_of(media) for media in post.media.all()],
        "created_at": post.edited_at or post.created_at,
    }


def _search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)


def post_filter_by_text(qs: QuerySet[Post], text: str) -> QuerySet[Post]:
    """On PostgreSQL a match of the stored, GIN-indexed ``search_vector`` (kept by a trigger with
    the same ``simple`` configuration); elsewhere a substring match."""
    if settings.IS_POSTGRES:
        return qs.filter(search_vector=_search_query(text))
    return qs.filter(content__icontains=text)


def post_search(*, text: str, viewer=None) -> QuerySet[Post]:
    """Posts matching ``text`` that the viewer may list, newest first (by id, as Twitter's "Latest"
    and Mastodon's status search order them), so a page costs about the same for any word: on
    PostgreSQL a common word is found walking the primary key backwards and stops as soon as the
    page is full (the LIMIT), a rare one through the GIN index, which holds few entries for it; no
    ranking reads every match. Elsewhere a substring match in the same order."""
    return post_filter_by_text(post_list(viewer=viewer, listing=True, context="search"), text).order_by("-id")


def post_filter_by_hashtag(qs: QuerySet[Post], name: str) -> QuerySet[Post]:
    """The posts of ``qs`` with the hashtag ``name`` (any case, with or without its ``#``)."""
    return qs.filter(pk__in=PostHashtag.objects.filter(hashtag__name=name.lower().lstrip("#")).values("post_id"))


def post_list_by_hashtag(*, name: str, viewer=None) -> QuerySet[Post]:
    return post_filter_by_hashtag(post_list(viewer=viewer, listing=True), name)


def post_list_replies(*, post: Post, viewer=None) -> QuerySet[Post]:
    return post_list(viewer=viewer, context="replies").filter(reply_to=post)


def hashtag_search(*, text: str) -> QuerySet[Hashtag]:
    return Hashtag.objects.filter(name__startswith=text.lower().lstrip("#"), posts_count__gt=0).order_by(
        "-posts_count", "name"
    )


def hashtag_list_by_names(*, names: Iterable[str]) -> dict[str, Hashtag]:
    """The hashtags of these names (any case, with or without their ``#``), by stored name."""
    wanted = {name.lower().lstrip("#") for name in names}
    return {tag.name: tag for tag in Hashtag.objects.filter(name__in=wanted)} if wanted else {}


def _hashtag_history_key(hashtag_id: int, *, today: date, days: int) -> str:
    return f"posts:tag-history:{today.isoformat()}:{days}:{hashtag_id}"


def hashtag_history(*, hashtag_ids: Iterable[int], days: int = HISTORY_DAYS) -> dict[int, list[dict]]:
    """Each hashtag's use on each of the last ``days`` days (UTC, today first): ``{"day": midnight,
    "uses": posts, "accounts": their authors}``, counting the posts trending counts (anyone may list
    them). Cached as briefly as the trending list (a week of a popular tag's rows is costly to
    count on every read of the trends); the missing ones in one query for all."""
    hashtag_ids = list(set(hashtag_ids))
    today = timezone.now().astimezone(UTC).date()
    keys = {hashtag_id: _hashtag_history_key(hashtag_id, today=today, days=days) for hashtag_id in hashtag_ids}
    found = cache.get_many(list(keys.values())) if keys else {}
    history = {hashtag_id: found[key] for hashtag_id, key in keys.items() if key in found}
    missing = [hashtag_id for hashtag_id in hashtag_ids if hashtag_id not in history]
    if not missing:
        return history
    first = today - timedelta(days=days - 1)
    rows = (
        PostHashtag.objects.filter(
            visibility.post_visible_q(None, prefix="post__", listing=True),
            hashtag_id__in=missing,
            created_at__gte=datetime.combine(first, time(), tzinfo=UTC),
        )
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("hashtag_id", "day")
        .annotate(uses=Count("id"), accounts=Count("post__author_id", distinct=True))
        .order_by()
    )
    counts = {(row["hashtag_id"], row["day"]): (row["uses"], row["accounts"]) for row in rows}
    for hashtag_id in missing:
        history[hashtag_id] = []
        for back in range(days):
            day = today - timedelta(days=back)
            uses, accounts = counts.get((hashtag_id, day), (0, 0))
            midnight = datetime.combine(day, time(), tzinfo=UTC)
            history[hashtag_id].append({"day": midnight, "uses": uses, "accounts": accounts})
    cache.set_many({keys[hashtag_id]: history[hashtag_id] for hashtag_id in missing}, TRENDING_CACHE_SECONDS)
    return history


def post_thread_ids(post: Post, *, depth: int, limit: int) -> tuple[list[int], list[int]]:
    """The ids of the thread around ``post``, whoever may see them (callers filter with
    :func:`post_list`): the posts it replies to, up to ``depth`` levels, oldest first; and the
    replies below it, up to ``depth`` levels and ``limit`` posts (the nearest levels first, each
    oldest first), in depth-first order. Two queries (recursive, over the replies index)."""
    table = Post._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(id, reply_to_id, depth) AS ("  # noqa: S608 - no user input in the SQL text
            f" SELECT id, reply_to_id, 0 FROM {table} WHERE id = %s"
            f" UNION ALL SELECT p.id, p.reply_to_id, up.depth + 1 FROM {table} p JOIN up ON p.id = up.reply_to_id"
            f" WHERE up.depth < %s) SELECT id FROM up WHERE depth > 0 ORDER BY depth DESC",
            [post.pk, depth],
        )
        ancestors = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"WITH RECURSIVE down(id, reply_to_id, created_at, depth) AS ("  # noqa: S608 - no user input in the SQL text
            f" SELECT id, reply_to_id, created_at, 1 FROM {table} WHERE reply_to_id = %s"
            f" UNION ALL SELECT p.id, p.reply_to_id, p.created_at, down.depth + 1 FROM {table} p"
            f" JOIN down ON p.reply_to_id = down.id WHERE down.depth < %s)"
            f" SELECT id, reply_to_id FROM down ORDER BY depth, created_at, id LIMIT %s",
            [post.pk, depth, limit],
        )
        rows = cursor.fetchall()
    children: dict[int, list[int]] = {}
    for child, parent in rows:
        children.setdefault(parent, []).append(child)
    descendants, stack = [], list(reversed(children.get(post.pk, [])))
    while stack:
        current = stack.pop()
        descendants.append(current)
        stack.extend(reversed(children.get(current, [])))
    return ancestors, descendants


def hashtag_list_trending() -> list[dict]:
    """Top 10 hashtags by posts of the last 24 hours (ties by name) that anyone may list (``public``
    posts of accounts that are not protected), cached briefly."""
    key = "posts:trending"
    result = cache.get(key)
    if result is None:
        since = timezone.now() - TRENDING_WINDOW
        # Count by hashtag id over the (created_at, hashtag) index first (each row joined only to
        # decide, by primary keys, whether its post is visible), and only then join the names of the
        # groups, instead of joining every post-hashtag row of the day to its hashtag.
        counts = (
            PostHashtag.objects.filter(
                visibility.post_visible_q(None, prefix="post__", listing=True), created_at__gte=since
            )
            .values("hashtag_id")
            .annotate(count=Count("id"))
            .values("hashtag_id", "count")
        )
        sql, params = counts.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT h.name, c.count FROM ({sql}) c JOIN {Hashtag._meta.db_table} h ON h.id = c.hashtag_id "  # noqa: S608 - no user input in the SQL text
                "ORDER BY c.count DESC, h.name ASC LIMIT 10",
                params,
            )
            result = [{"name": name, "count": count} for name, count in cursor.fetchall()]
        cache.set(key, result, TRENDING_CACHE_SECONDS)
    return result


def feed_item_list(
    *, viewer, cursor: "feed.Cursor | None", size: int, request=None
) -> tuple[list[dict], "feed.Cursor | None", "feed.Cursor | None"]:
    """One page of the viewer's home feed: the items (``FeedItemSerializer``'s representation, URLs
    absolute for ``request``), the next page's cursor and the previous page's. Entries come from
    :func:`feed.feed_page` (Redis timelines or the database), posts from cached representations
    (:mod:`posts.hydration`), which leaves out what the viewer may not see."""
    relationships = relationship_sets(viewer)
    exclude = relationships.hidden(mutes=True)

    def read(cursor, size=size, limit=None):
        page = feed.feed_page(viewer_id=viewer.pk, cursor=cursor, size=size, exclude=exclude)
        items = hydration.feed_items(
            viewer=viewer, entries=page.entries, request=request, relationships=relationships, limit=limit
        )
        return page, items

    if cursor is not None and cursor.reverse:
        page, items = read(cursor)
        return items, page.next_cursor, page.previous_cursor
    return _feed_filled(read, cursor, size=size, hiding=bool(exclude))


FEED_FILL_ROUNDS = 3
FEED_FILL_MAX_READ = 200


def _feed_filled(read, cursor: "feed.Cursor | None", *, size: int, hiding: bool):
    """A page read downwards, topped up from the entries below it when some were left out (posts
    hidden from the viewer: blocked or muted accounts, deleted posts), in at most
    ``FEED_FILL_ROUNDS`` more reads, each twice as long as the one before. A viewer who blocks or
    mutes someone reads half a page more at once, so that the top-up is rarely needed; only the
    entries the page needs are loaded. The next cursor follows the last entry kept."""
    kept: list[dict] = []
    last_entry = None
    previous_cursor = None
    read_size = size + size // 2 if hiding else size
    for round_ in range(FEED_FILL_ROUNDS + 1):
        page, items = read(cursor, min(read_size * 2**round_, FEED_FILL_MAX_READ), limit=size - len(kept))
        if not round_:
            previous_cursor = page.previous_cursor
        by_feed_id = {entry.feed_id: entry for entry in page.entries}
        for item in items:
            kept.append(item)
            last_entry = by_feed_id[item["feed_id"]]
        if len(kept) >= size:
            more = page.next_cursor is not None or last_entry is not page.entries[-1]
            return kept, feed.Cursor.after(last_entry) if more else None, previous_cursor
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return kept, page.next_cursor, previous_cursor
