"""Notifications: something a user did that concerns another user (a follow, a like, a retweet, a
reply, a mention, a direct message)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Notification(models.Model):
    class Type(models.TextChoices):
        FOLLOW = "follow", "Follow"
        # A request to follow the recipient's protected account (``actor`` asked).
        FOLLOW_REQUEST = "follow_request", "Follow request"
        LIKE = "like", "Like"
        RETWEET = "retweet", "Retweet"
        REPLY = "reply", "Reply"
        MENTION = "mention", "Mention"
        # A direct message (``message`` and its ``conversation`` set, ``post`` null).
        MESSAGE = "message", "Message"

    # No index of its own: the constraint and the indexes below all lead with the recipient.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=16, choices=Type.choices)
    # The post liked, retweeted or mentioning the recipient, or the reply; its deletion takes the
    # notification with it.
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # The conversation of a ``message`` notification; indexed below (only where set).
    conversation = models.ForeignKey(
        "messaging.Conversation", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    # The message of a ``message`` notification; indexed below (only where set).
    message = models.ForeignKey(
        "messaging.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    # What the notification is about, unique per recipient (see ``services``): creating it again
    # (a task run twice, a like undone and redone) inserts nothing.
    dedupe_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    is_read = models.BooleanField(default=False)
    # Set once the notification email went out, so a redelivered email task does not send it again.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notif_recipient_dedupe_unique"),
        ]
        indexes = [
            # My notifications, newest first (the list and its cursor pages).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_created_idx"),
            # Unread ones only: the unread count and ``?unread=true`` read a small index.
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=models.Q(is_read=False),
                name="notif_recipient_unread_idx",
            ),
            # Deleting a conversation deletes its notifications; most notifications have none.
            models.Index(
                fields=["conversation"],
                condition=models.Q(conversation__isnull=False),
                name="notif_conversation_idx",
            ),
            # Deleting a message (with its sender) deletes its notification.
            models.Index(
                fields=["message"],
                condition=models.Q(message__isnull=False),
                name="notif_message_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.recipient_id} by {self.actor_id}"
