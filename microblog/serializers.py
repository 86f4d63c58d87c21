"""Bodies of the microblog API."""

from rest_framework import serializers

from media.models import Media
from mini_twitter.api.ids import IdField
from mini_twitter.api.serializers import file_url

_MEDIA_STORAGE = Media._meta.get_field("file").storage


class NamedUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The display name, or the username where it is empty.")


class LikeSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField(help_text="The display name, or the username where it is empty.")


def tweet_render(tweet: dict, *, request=None) -> dict:
    """A tweet of ``microblog.selectors.tweet_list_feed`` as the front end reads it, its
    attachments' URLs absolute for ``request``."""
    return {
        "id": tweet["id"],
        "content": tweet["content"],
        "attachments": [file_url(name, storage=_MEDIA_STORAGE, request=request) for name in tweet["files"]],
        "author": tweet["author"],
        "likes": [{"user_id": like["id"], "name": like["name"]} for like in tweet["likes"]],
    }


class TweetSerializer(serializers.Serializer):
    """Renders a tweet of ``microblog.selectors.tweet_list_feed`` through :func:`tweet_render`; the
    fields declare the shape."""

    id = serializers.IntegerField()
    content = serializers.CharField()
    attachments = serializers.ListField(
        child=serializers.URLField(), help_text="URLs of the attached images, as the browser loads them."
    )
    author = NamedUserSerializer()
    likes = LikeSerializer(many=True)

    def to_representation(self, tweet: dict) -> dict:
        return tweet_render(tweet, request=self.context.get("request"))


class MicroblogUserSerializer(serializers.Serializer):
    """A user of ``microblog.selectors.user_get_with_follows`` (plain values already in shape)."""

    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The display name, or the username where it is empty.")
    followers = NamedUserSerializer(many=True)
    following = NamedUserSerializer(many=True)

    def to_representation(self, user: dict) -> dict:
        return user


class TweetCreateSerializer(serializers.Serializer):
    tweet_data = serializers.CharField(trim_whitespace=False, max_length=2000, help_text="1..280 characters.")
    tweet_media_ids = serializers.ListField(child=IdField(), required=False, allow_null=True, max_length=4)


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)


class FeedQuerySerializer(serializers.Serializer):
    offset = serializers.IntegerField(
        required=False, default=1, min_value=0, help_text="1-based page number (0 is read as 1)."
    )
    limit = serializers.IntegerField(required=False, default=50, min_value=1, help_text="Page size, at most 200.")


# Response shapes, for the API documentation.
class ResultSerializer(serializers.Serializer):
    result = serializers.BooleanField(default=True)


class ErrorSerializer(serializers.Serializer):
    result = serializers.BooleanField(default=False)
    error_type = serializers.CharField()
    error_message = serializers.CharField()


class TweetCreatedSerializer(ResultSerializer):
    tweet_id = serializers.IntegerField()


class MediaCreatedSerializer(ResultSerializer):
    media_id = serializers.IntegerField()


class TweetsSerializer(ResultSerializer):
    tweets = TweetSerializer(many=True)


class UserResultSerializer(ResultSerializer):
    user = MicroblogUserSerializer()
