"""Input and output serializers for posts, the feed, trending and search."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from rest_framework import serializers

from media.serializers import PostMediaSerializer, post_media_data, post_media_render
from mini_twitter.api.ids import IdField
from users.serializers import UserSerializer, UserShortSerializer, user_short_data_of, user_short_render

from .models import MAX_POST_LENGTH, MAX_SPOILER_TEXT_LENGTH, Hashtag, Post


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
    spoiler_text: str,
    sensitive: bool,
    pinned_at: datetime | None,
    hashtags: Iterable[str],
    mentions: Iterable[tuple[int, str]],
    media: Iterable[tuple[int, str, str, int, int, str, float | None, float | None]],
) -> dict:
    """A post without the viewer: hashtags by name, mentions as (id, username) by username (any
    case), media as (id, file name, thumbnail name, width, height, description, focus x, focus y)
    in their order."""
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
        "spoiler_text": spoiler_text,
        "sensitive": bool(sensitive),
        "hashtags": list(hashtags),
        "mentions": [{"id": user_id, "username": username} for user_id, username in mentions],
        "media": [post_media_tuple_data(item) for item in media],
        "is_pinned": pinned_at is not None,
    }


def post_media_tuple_data(item: tuple) -> dict:
    """:func:`post_media_data` of an image as (id, file name, thumbnail name, width, height,
    description, focus x, focus y)."""
    media_id, file, thumbnail, width, height, description, focus_x, focus_y = item
    return post_media_data(
        id=media_id,
        file=file,
        thumbnail=thumbnail,
        width=width,
        height=height,
        description=description,
        focus_x=focus_x,
        focus_y=focus_y,
    )


def post_media_of(post: Post) -> list[tuple]:
    """The images of a post loaded with its media, in their order, as :func:`post_data` takes them."""
    return [
        (m.pk, m.file.name, m.thumbnail.name, m.width, m.height, m.description, m.focus_x, m.focus_y)
        for m in post.media.all()
    ]


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
        spoiler_text=post.spoiler_text,
        sensitive=post.sensitive,
        pinned_at=post.pinned_at,
        hashtags=[tag.name for tag in post.hashtags.all()],
        mentions=[(user.pk, user.username) for user in post.mentions.all()],
        media=post_media_of(post),
    )


def post_render(
    post: dict, *, author: dict, is_liked: bool, is_retweeted: bool, is_bookmarked: bool = False, request=None
) -> dict:
    """``PostSerializer``'s representation: a post's :func:`post_data` with its author's
    :func:`user_short_data` and the viewer's flags, URLs made absolute for ``request``."""
    return {
        **post,
        "author": user_short_render(author, request=request),
        "media": [post_media_render(item, request=request) for item in post["media"]],
        "is_liked": bool(is_liked),
        "is_retweeted": bool(is_retweeted),
        "is_bookmarked": bool(is_bookmarked),
    }


def feed_item_render(
    post: dict,
    *,
    author: dict,
    is_liked: bool,
    is_retweeted: bool,
    is_bookmarked: bool = False,
    retweeted_by: dict | None,
    feed_id: int,
    request=None,
) -> dict:
    """``FeedItemSerializer``'s representation: :func:`post_render` with who retweeted the post
    into the feed (a short form, or None) and the entry's id."""
    item = post_render(
        post,
        author=author,
        is_liked=is_liked,
        is_retweeted=is_retweeted,
        is_bookmarked=is_bookmarked,
        request=request,
    )
    item["retweeted_by"] = user_short_render(retweeted_by, request=request)
    item["feed_id"] = feed_id
    return item


class PostSerializer(serializers.ModelSerializer):
    """A post; ``is_liked``/``is_retweeted``/``is_bookmarked`` are the viewer's (false for anonymous
    viewers), ``is_pinned`` the author's (the same for everyone). Renders a post loaded by
    ``posts.selectors`` through :func:`post_render`; the fields declare the shape."""

    author = UserShortSerializer(read_only=True)
    reply_to = serializers.IntegerField(source="reply_to_id", read_only=True, allow_null=True)
    hashtags = serializers.ListField(child=serializers.CharField(), read_only=True)
    mentions = MentionSerializer(many=True, read_only=True)
    media = PostMediaSerializer(many=True, read_only=True)
    spoiler_text = serializers.CharField(
        read_only=True, help_text='A content warning shown in place of the content until opened ("" = none).'
    )
    sensitive = serializers.BooleanField(read_only=True, help_text="Whether the media are hidden until opened.")
    is_pinned = serializers.BooleanField(read_only=True, help_text="Pinned by its author to their profile.")
    is_liked = serializers.BooleanField(read_only=True, default=False)
    is_retweeted = serializers.BooleanField(read_only=True, default=False)
    is_bookmarked = serializers.BooleanField(read_only=True, default=False, help_text="In the viewer's bookmarks.")

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
            "spoiler_text",
            "sensitive",
            "hashtags",
            "mentions",
            "media",
            "is_pinned",
            "is_liked",
            "is_retweeted",
            "is_bookmarked",
        )
        read_only_fields = fields

    def to_representation(self, post: Post) -> dict:
        return post_render(
            post_data_of(post),
            author=user_short_data_of(post.author),
            is_liked=getattr(post, "is_liked", False),
            is_retweeted=getattr(post, "is_retweeted", False),
            is_bookmarked=getattr(post, "is_bookmarked", False),
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
            is_bookmarked=getattr(post, "is_bookmarked", False),
            retweeted_by=user_short_data_of(retweeted_by) if retweeted_by else None,
            feed_id=post.feed_id,
            request=self.context.get("request"),
        )


SPOILER_TEXT_HELP = (
    f'A content warning shown in place of the content until opened: at most {MAX_SPOILER_TEXT_LENGTH} characters, "" '
    "for none."
)
SENSITIVE_HELP = "Hide the media until opened (default false)."


class PostUpdateSerializer(serializers.Serializer):
    """An edit: PUT gives the content (and may change the content warning); PATCH any of them."""

    content = serializers.CharField(
        max_length=MAX_POST_LENGTH * 4, trim_whitespace=False, help_text="1..280 characters after trimming."
    )
    spoiler_text = serializers.CharField(
        max_length=MAX_SPOILER_TEXT_LENGTH * 4,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=SPOILER_TEXT_HELP,
    )
    sensitive = serializers.BooleanField(required=False, help_text=SENSITIVE_HELP)


class PostCreateSerializer(PostUpdateSerializer):
    """A new post: an edit's fields, with its images, the post it answers and its audience."""

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


class PostVersionSerializer(serializers.Serializer):
    """One version of a post, as it read from ``created_at`` until the next version."""

    content = serializers.CharField(read_only=True)
    spoiler_text = serializers.CharField(read_only=True, help_text='The content warning ("" = none).')
    sensitive = serializers.BooleanField(read_only=True)
    media = PostMediaSerializer(many=True, read_only=True)
    created_at = serializers.DateTimeField(read_only=True, help_text="When this version was written.")

    class Meta:
        ref_name = "PostVersion"


def post_version_render(version: dict, *, request=None) -> dict:
    """A version (:func:`posts.selectors.post_history_list`) with its media's URLs absolute."""
    return {
        **version,
        "media": [post_media_render(item, request=request) for item in version["media"]],
        "created_at": _datetime.to_representation(version["created_at"]),
    }


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
