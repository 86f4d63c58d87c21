"""Reads for posts: querysets that carry what the post serializer needs (author, hashtags, mentions
and the viewer's like/retweet flags) in a fixed number of queries."""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from media.models import Media
from users.models import User

from . import feed
from .models import Hashtag, Like, Post, PostHashtag, Retweet

TRENDING_CACHE_SECONDS = 60
TRENDING_WINDOW = timedelta(hours=24)
SEARCH_CONFIG = "simple"


def post_queryset(*, viewer=None) -> QuerySet[Post]:
    qs = (
        Post.objects.filter(author__is_active=True)
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
        )
    return qs.annotate(is_liked=Value(False), is_retweeted=Value(False))


def post_get(*, post_id: int, viewer=None) -> Post:
    return get_object_or_404(post_queryset(viewer=viewer), pk=post_id)


def post_get_bare(*, post_id: int) -> Post:
    """The post alone (no relations or viewer flags), for writes and existence checks."""
    return get_object_or_404(Post.objects.filter(author__is_active=True), pk=post_id)


def post_search_vector() -> SearchVector:
    # Matches the GIN expression index made in migration 0002.
    return SearchVector("content", config=SEARCH_CONFIG)


def filter_posts_by_text(qs: QuerySet[Post], text: str) -> QuerySet[Post]:
    if settings.IS_POSTGRES:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return qs.annotate(search=post_search_vector()).filter(search=query)
    return qs.filter(content__icontains=text)


def post_search(*, text: str, viewer=None) -> QuerySet[Post]:
    """Posts matching ``text``, best match first (full-text rank on PostgreSQL, newest first on the
    embedded SQLite fallback)."""
    qs = filter_posts_by_text(post_queryset(viewer=viewer), text)
    if settings.IS_POSTGRES:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
        return qs.annotate(rank=SearchRank(post_search_vector(), query)).order_by("-rank", "-created_at", "-id")
    return qs.order_by("-created_at", "-id")


def posts_with_hashtag(*, name: str, viewer=None) -> QuerySet[Post]:
    return post_queryset(viewer=viewer).filter(
        pk__in=PostHashtag.objects.filter(hashtag__name=name.lower().lstrip("#")).values("post_id")
    )


def replies_of(*, post: Post, viewer=None) -> QuerySet[Post]:
    return post_queryset(viewer=viewer).filter(reply_to=post)


def hashtag_search(*, text: str) -> QuerySet[Hashtag]:
    return Hashtag.objects.filter(name__startswith=text.lower().lstrip("#"), posts_count__gt=0).order_by(
        "-posts_count", "name"
    )


def user_search(*, text: str) -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .filter(Q(username__icontains=text) | Q(profile__display_name__icontains=text))
        .select_related("profile")
        .annotate(exact=Q(username__iexact=text))
        .order_by("-exact", Lower("username"))
    )


def trending_hashtags() -> list[dict]:
    """Top 10 hashtags by posts of the last 24 hours (ties by name), cached briefly."""
    key = "posts:trending"
    result = cache.get(key)
    if result is None:
        since = timezone.now() - TRENDING_WINDOW
        # A range scan of the (created_at, hashtag) index, grouped.
        result = list(
            PostHashtag.objects.filter(created_at__gte=since)
            .values(name=F("hashtag__name"))
            .annotate(count=Count("id"))
            .order_by("-count", "name")[:10]
        )
        cache.set(key, result, TRENDING_CACHE_SECONDS)
    return result


def feed_posts(*, viewer, cursor: "feed.Cursor | None", size: int) -> tuple[list[Post], "feed.Cursor | None"]:
    """One page of the viewer's home feed as posts carrying ``retweeted_by`` and ``feed_id``."""
    page = feed.feed_page(viewer_id=viewer.pk, cursor=cursor, size=size)
    posts = post_queryset(viewer=viewer).in_bulk([e.post_id for e in page.entries])
    retweeters = User.objects.select_related("profile").in_bulk(
        {e.retweeted_by_id for e in page.entries if e.retweeted_by_id}
    )
    items = []
    for entry in page.entries:
        post = posts.get(entry.post_id)
        if post is None:
            continue  # deleted since the page was computed
        post.feed_id = entry.feed_id
        post.retweeted_by = retweeters.get(entry.retweeted_by_id)
        items.append(post)
    return items, page.next_cursor
