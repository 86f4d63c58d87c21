"""Input and output serializers for conversations and messages."""

from drf_yasg.utils import swagger_serializer_method
from rest_framework import serializers

from mini_twitter.api.ids import IdField
from users.serializers import UserShortSerializer

from .models import MAX_MESSAGE_LENGTH, MAX_PARTICIPANTS, MAX_TITLE_LENGTH, Conversation, Message


class MessageSerializer(serializers.ModelSerializer):
    conversation = serializers.PrimaryKeyRelatedField(read_only=True)
    sender = UserShortSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ("id", "conversation", "sender", "content", "created_at")
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    """A conversation as its participant sees it: who is in it now, the latest message, and how many
    messages from the others the caller has not read."""

    participants = serializers.SerializerMethodField(help_text="The current participants, the caller included.")
    title = serializers.CharField(read_only=True, allow_null=True, help_text="A group's title; null for one-to-one.")
    last_message = MessageSerializer(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(
        read_only=True, help_text="Messages from the others newer than the last one the caller read."
    )
    updated_at = serializers.DateTimeField(read_only=True, help_text="The latest activity: creation or last message.")

    class Meta:
        model = Conversation
        fields = ("id", "participants", "title", "last_message", "unread_count", "created_at", "updated_at")
        read_only_fields = fields

    @swagger_serializer_method(serializer_or_field=UserShortSerializer(many=True))
    def get_participants(self, conversation):
        users = [membership.user for membership in conversation.active_memberships]
        return UserShortSerializer(users, many=True, context=self.context).data


class ConversationCreateSerializer(serializers.Serializer):
    participant_ids = serializers.ListField(
        child=IdField(),
        allow_empty=False,
        max_length=MAX_PARTICIPANTS,
        help_text="The other users' ids (your own is ignored). One: a one-to-one conversation; "
        f"more: a group of at most {MAX_PARTICIPANTS} people, you included.",
    )
    title = serializers.CharField(
        max_length=MAX_TITLE_LENGTH,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text=f"Groups only, optional, ≤ {MAX_TITLE_LENGTH} characters.",
    )


class MessageCreateSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH, help_text=f"1..{MAX_MESSAGE_LENGTH} characters after trimming."
    )


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField(help_text="Unread messages from others over all my conversations.")

    class Meta:
        ref_name = "MessageUnreadCount"
