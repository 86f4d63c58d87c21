"""Direct messages: conversations between 2..50 users, their participants (with each one's read
marker) and the messages."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_PARTICIPANTS = 50
MAX_MESSAGE_LENGTH = 2000
MAX_TITLE_LENGTH = 100


def direct_key(user_id: int, other_id: int) -> str:
    """The key of the one-to-one conversation between two users, the same whoever starts it."""
    low, high = sorted((user_id, other_id))
    return f"{low}:{high}"


class Conversation(models.Model):
    # Groups only; a one-to-one conversation has none.
    title = models.CharField(max_length=MAX_TITLE_LENGTH, null=True, blank=True)
    is_group = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The activity time: the creation, then each message's time. The list is ordered by it.
    updated_at = models.DateTimeField(default=timezone.now)
    # "<low user id>:<high user id>" for a one-to-one conversation, null for groups: its unique
    # constraint makes two concurrent creations of the same pair end with one conversation.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    # Denormalised, set in the transaction that inserts the message, so the list needs no query per row.
    last_message = models.ForeignKey(
        "Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_group=True, direct_key__isnull=True)
                | models.Q(is_group=False, direct_key__isnull=False, title__isnull=True),
                name="msg_conversation_kind",
            ),
        ]
        indexes = [
            # Most recent activity first (the list, when a user has many conversations, and the admin).
            models.Index(fields=["-updated_at", "-id"], name="msg_conversation_activity_idx"),
        ]

    def __str__(self) -> str:
        return self.title or f"conversation {self.pk}"


class Participant(models.Model):
    """A user's membership of a conversation. ``left_at`` set: they left the group and no longer see
    it. ``last_read_at`` is the time of the newest message they have read (message times are
    strictly increasing within a conversation, see ``services.message_send``)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    # Served by the indexes below, which lead with the user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_memberships", db_index=False
    )
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="msg_participant_unique"),
        ]
        indexes = [
            # My conversations (the list, the unread total); a left membership is never read again.
            models.Index(
                fields=["user", "conversation"],
                condition=models.Q(left_at__isnull=True),
                name="msg_participant_active_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.conversation_id}"


class Message(models.Model):
    # Served by the index below, which leads with the conversation.
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages", db_index=False)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_messages")
    content = models.CharField(max_length=MAX_MESSAGE_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # A conversation's messages newest first (the list and its cursor pages), and the unread
            # ones: those newer than a reader's ``last_read_at``.
            models.Index(fields=["conversation", "-created_at", "-id"], name="msg_message_conversation_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} in {self.conversation_id}: {self.content[:40]}"
