"""Bodies of the microblog API."""

from rest_framework import serializers

from mini_twitter.api.ids import IdField
from mini_twitter.api.serializers import file_url


def display_name(user) -> str:
    return user.profile.display_name or user.username


class NamedUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)


class LikeSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, like) -> str:
        return display_name(like.user)


class TweetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content = serializers.CharField()
    attachments = serializers.SerializerMethodField(help_text="URLs of the attached images, as the browser loads them.")
    author = NamedUserSerializer()
    likes = LikeSerializer(many=True, source="likes.all")

    def get_attachments(self, post) -> list[str]:
        request = self.context.get("request")
        return [file_url(media.file.name, storage=media.file.storage, request=request) for media in post.media.all()]


class MicroblogUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    followers = serializers.SerializerMethodField()
    following = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)

    def get_followers(self, user) -> list[dict]:
        return NamedUserSerializer([f.follower for f in user.follower_set.all()], many=True).data

    def get_following(self, user) -> list[dict]:
        return NamedUserSerializer([f.followee for f in user.following_set.all()], many=True).data


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
