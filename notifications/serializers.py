"""Output serializers for notifications."""

from rest_framework import serializers

from users.serializers import UserShortSerializer

from .models import Notification
from .selectors import EXCERPT_LENGTH


class NotificationSerializer(serializers.ModelSerializer):
    """A notification, renderable without another request: who did it (``actor``), on which post
    (``post`` and the start of its text, ``post_excerpt``) or in which conversation."""

    actor = UserShortSerializer(read_only=True)
    post = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    post_excerpt = serializers.SerializerMethodField(
        help_text=f"The first {EXCERPT_LENGTH} characters of the post (… when cut), or null."
    )
    conversation = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The conversation of a `message` notification (id), null otherwise."
    )

    class Meta:
        model = Notification
        fields = ("id", "type", "actor", "post", "post_excerpt", "conversation", "created_at", "is_read")
        read_only_fields = fields

    def get_post_excerpt(self, notification) -> str | None:
        head = getattr(notification, "post_head", None)
        if head is None:
            return None
        return head[:EXCERPT_LENGTH] + "…" if len(head) > EXCERPT_LENGTH else head


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread and are now read.")
