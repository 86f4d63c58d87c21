"""Input and output serializers for posts, the feed, trending and search."""

from rest_framework import serializers

from media.serializers import PostMediaSerializer
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
    media_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), max_length=4, required=False)
    reply_to = serializers.IntegerField(min_value=1, required=False, allow_null=True)


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
