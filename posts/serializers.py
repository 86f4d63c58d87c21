"""Input and output serializers for posts, the feed, trending and search."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from rest_framework import serializers

from media.serializers import PostMediaSerializer, post_media_data, post_media_render
from mini_twitter.api.ids import IdField
from users.serializers import UserSerializer, UserShortSerializer, user_short_data_of, user_short_render

from .models import MAX_POST_LENGTH, Hashtag, Post


class MentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


# --- The post representation -----------------------------------------------------------------
# Built once, here, from plain values: the serializers below render model instances through these
# functions, and the feed (:mod:`posts.hydration`) renders its cached data through them too. A post
# is kept in two steps: ``post_data`` (no viewer, file URLs relative, the author as an id: what the
# feed caches) and ``post_render`` (the author's short form, the viewer's flags, URLs absolute).

_datetime = serializers.DateTimeField()


def post_data(
    *,
    id: int,
    author_id: int,
    content: str,
    created_at: datetime,
    edited_at: datetime | None,
    reply_to_id: int | None,
    likes_count: int,
    retweets_count: int,
    replies_count: int,
    visibility: str,
    hashtags: Iterable[str],
    mentions: Iterable[tuple[int, str]],
    media: Iterable[tuple[int, str, str, int, int]],
) -> dict:
    """A post without the viewer: hashtags by name, mentions as (id, username) by username (any
    case), media as (id, file name, thumbnail name, width, height) in their order."""
    return {
        "id": id,
        "author": author_id,
        "content": content,
        "created_at": _datetime.to_representation(created_at),
        "edited_at": _datetime.to_representation(edited_at) if edited_at else None,
        "reply_to": reply_to_id,
        "likes_count": likes_count,
        "retweets_count": retweets_count,
        "replies_count": replies_count,
        "visibility": visibility,
        "hashtags": list(hashtags),
        "mentions": [{"id": user_id, "username": username} for user_id, username in mentions],
        "media": [
            post_media_data(id=media_id, file=file, thumbnail=thumbnail, width=width, height=height)
            for media_id, file, thumbnail, width, height in media
        ],
    }


def post_data_of(post: Post) -> dict:
    """:func:`post_data` of a post loaded with its hashtags, mentions and media (in their orders)."""
    return post_data(
        id=post.pk,
        author_id=post.author_id,
        content=post.content,
        created_at=post.created_at,
        edited_at=post.edited_at,
        reply_to_id=post.reply_to_id,
        likes_count=post.likes_count,
        retweets_count=post.retweets_count,
        replies_count=post.replies_count,
        visibility=post.visibility,
        hashtags=[tag.name for tag in post.hashtags.all()],
        mentions=[(user.pk, user.username) for user in post.mentions.all()],
        media=[(m.pk, m.file.name, m.thumbnail.name, m.width, m.height) for m in post.media.all()],
    )


def post_render(post: dict, *, author: dict, is_liked: bool, is_retweeted: bool, request=None) -> dict:
    """``PostSerializer``'s representation: a post's :func:`post_data` with its author's
    :func:`user_short_data` and the viewer's flags, URLs made absolute for ``request``."""
    return {
        **post,
        "author": user_short_render(author, request=request),
        "media": [post_media_render(item, request=request) for item in post["media"]],
        "is_liked": bool(is_liked),
        "is_retweeted": bool(is_retweeted),
    }


def feed_item_render(
    post: dict,
    *,
    author: dict,
    is_liked: bool,
    is_retweeted: bool,
    retweeted_by: dict | None,
    feed_id: int,
    request=None,
) -> dict:
    """``FeedItemSerializer``'s representation: :func:`post_render` with who retweeted the post
    into the feed (a short form, or None) and the entry's id."""
    item = post_render(post, author=author, is_liked=is_liked, is_retweeted=is_retweeted, request=request)
    item["retweeted_by"] = user_short_render(retweeted_by, request=request)
    item["feed_id"] = feed_id
    return item


class PostSerializer(serializers.ModelSerializer):
    """A post; ``is_liked``/``is_retweeted`` are the viewer's (false for anonymous viewers). Renders
    a post loaded by ``posts.selectors`` through :func:`post_render`; the fields declare the shape."""

    author = UserShortSerializer(read_only=True)
    reply_to = serializers.IntegerField(source="reply_to_id", read_only=True, allow_null=True)
    hashtags = serializers.ListField(child=serializers.CharField(), read_only=True)
    mentions = MentionSerializer(many=True, read_only=True)
    media = PostMediaSerializer(many=True, read_only=True)
    is_liked = serializers.BooleanField(read_only=True, default=False)
    is_retweeted = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Post
        fields = (
            "id",
            "author",
            "content",
            "created_at",
            "edited_at",
            "reply_to",
            "likes_count",
            "retweets_count",
            "replies_count",
            "visibility",
            "hashtags",
            "mentions",
            "media",
            "is_liked",
            "is_retweeted",
        )
        read_only_fields = fields

    def to_representation(self, post: Post) -> dict:
        return post_render(
            post_data_of(post),
            author=user_short_data_of(post.author),
            is_liked=getattr(post, "is_liked", False),
            is_retweeted=getattr(post, "is_retweeted", False),
            request=self.context.get("request"),
        )


class FeedItemSerializer(PostSerializer):
    """A post in the home feed: ``retweeted_by`` is who put it there by retweeting (null for a post
    by someone you follow or by you); ``feed_id`` identifies the entry. Renders through
    :func:`feed_item_render`, as the feed's cached path does."""

    retweeted_by = UserShortSerializer(read_only=True, allow_null=True)
    feed_id = serializers.IntegerField(read_only=True)

    class Meta(PostSerializer.Meta):
        fields = (*PostSerializer.Meta.fields, "retweeted_by", "feed_id")
        read_only_fields = fields

    def to_representation(self, post: Post) -> dict:
        retweeted_by = getattr(post, "retweeted_by", None)
        return feed_item_render(
            post_data_of(post),
            author=user_short_data_of(post.author),
            is_liked=getattr(post, "is_liked", False),
            is_retweeted=getattr(post, "is_retweeted", False),
            retweeted_by=user_short_data_of(retweeted_by) if retweeted_by else None,
            feed_id=post.feed_id,
            request=self.context.get("request"),
        )


class PostCreateSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MAX_POST_LENGTH * 4, trim_whitespace=False, help_text="1..280 characters after trimming."
    )
    media_ids = serializers.ListField(child=IdField(), max_length=4, required=False)
    reply_to = IdField(required=False, allow_null=True)
    visibility = serializers.ChoiceField(
        choices=Post.Visibility.choices,
        required=False,
        help_text=(
            "public (default): anyone, everywhere; unlisted: anyone with the link, followers' feeds and "
            "the author's list, not search, hashtag lists, trending or the all-posts list; followers: "
            "the author and their followers only, can't be retweeted. A protected account's posts are "
            "always stored as followers."
        ),
    )


class PostUpdateSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MAX_POST_LENGTH * 4, trim_whitespace=False, help_text="1..280 characters after trimming."
    )


class TrendingHashtagSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


class HashtagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hashtag
        fields = ("name", "posts_count")
        read_only_fields = fields


class SearchResultSerializer(serializers.Serializer):
    """One search result: a post (`type=posts`, the default), a user (`type=users`) or a hashtag
    (`type=hashtags`), with the fields of that kind only. Swagger 2.0 has no ``oneOf``, so this
    documents the union of the three serializers' fields, every field optional, each saying which
    types give it (``id`` is a post's or a user's id; ``posts_count`` a user's or a hashtag's count)."""

    KINDS = {"posts": PostSerializer, "users": UserSerializer, "hashtags": HashtagSerializer}

    class Meta:
        ref_name = "SearchResult"

    def get_fields(self):
        fields, kinds = {}, defaultdict(list)
        for kind, serializer in self.KINDS.items():
            for name, field in serializer().get_fields().items():
                fields.setdefault(name, field)
                kinds[name].append(kind)
        for name, field in fields.items():
            field.help_text = f"type={', '.join(kinds[name])}"
        return fields
