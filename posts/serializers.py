"""Input and output serializers for posts, the feed, trending and search."""

from rest_framework import serializers

from media.serializers import PostMediaSerializer
from mini_twitter.api.ids import IdField
from users.serializers import UserShortSerializer

from .models import MAX_POST_LENGTH, Hashtag, Post


class MentionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class PostSerializer(serializers.ModelSerializer):
    """A post; ``is_liked``/``is_retweeted`` are the viewer's (false for anonymous viewers)."""

    author = UserShortSerializer(read_only=True)
    reply_to = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    hashtags = serializers.SerializerMethodField()
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
            "hashtags",
            "mentions",
            "media",
            "is_liked",
            "is_retweeted",
        )
        read_only_fields = fields

    def get_hashtags(self, post) -> list[str]:
        return [tag.name for tag in post.hashtags.all()]


class FeedItemSerializer(PostSerializer):
    """A post in the home feed: ``retweeted_by`` is who put it there by retweeting (null for a post
    by someone you follow or by you); ``feed_id`` identifies the entry."""

    retweeted_by = UserShortSerializer(read_only=True, allow_null=True)
    feed_id = serializers.IntegerField(read_only=True)

    class Meta(PostSerializer.Meta):
        fields = (*PostSerializer.Meta.fields, "retweeted_by", "feed_id")
        read_only_fields = fields


class PostCreateSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MAX_POST_LENGTH * 4, trim_whitespace=False, help_text="1..280 characters after trimming."
    )
    media_ids = serializers.ListField(child=IdField(), max_length=4, required=False)
    reply_to = IdField(required=False, allow_null=True)


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


def _of(kind: str, field_class, **kwargs):
    return field_class(read_only=True, help_text=f"type={kind}", **kwargs)


class SearchResultSerializer(serializers.Serializer):
    """One search result: a post (`type=posts`, the default), a user (`type=users`) or a hashtag
    (`type=hashtags`), with the fields of that kind only. Swagger 2.0 has no ``oneOf``, so this
    documents the union of the three shapes, every field optional, each saying which type gives it
    (``id`` is a post's or a user's id; ``posts_count`` a user's or a hashtag's count)."""

    id = _of("posts, users", serializers.IntegerField)
    # posts
    author = UserShortSerializer(read_only=True, help_text="type=posts")
    content = _of("posts", serializers.CharField)
    created_at = _of("posts", serializers.DateTimeField)
    edited_at = _of("posts", serializers.DateTimeField, allow_null=True)
    reply_to = _of("posts", serializers.IntegerField, allow_null=True)
    likes_count = _of("posts", serializers.IntegerField)
    retweets_count = _of("posts", serializers.IntegerField)
    replies_count = _of("posts", serializers.IntegerField)
    hashtags = _of("posts", serializers.ListField, child=serializers.CharField())
    mentions = MentionSerializer(many=True, read_only=True, help_text="type=posts")
    media = PostMediaSerializer(many=True, read_only=True, help_text="type=posts")
    is_liked = _of("posts", serializers.BooleanField)
    is_retweeted = _of("posts", serializers.BooleanField)
    # users
    username = _of("users", serializers.CharField)
    display_name = _of("users", serializers.CharField)
    bio = _of("users", serializers.CharField)
    location = _of("users", serializers.CharField)
    website = _of("users", serializers.CharField)
    avatar = _of("users", serializers.URLField, allow_null=True)
    followers_count = _of("users", serializers.IntegerField)
    following_count = _of("users", serializers.IntegerField)
    date_joined = _of("users", serializers.DateTimeField)
    is_following = _of("users", serializers.BooleanField)
    follows_you = _of("users", serializers.BooleanField)
    # hashtags
    name = _of("hashtags", serializers.CharField)
    posts_count = _of("users, hashtags", serializers.IntegerField)

    class Meta:
        ref_name = "SearchResult"
