"""Reads for direct messages. A conversation is only ever read through its participant: anyone else
(a stranger, or someone who left the group) finds nothing, which the views turn into a 404.

The conversation list and one conversation come with the caller's ``unread_count`` (a correlated
COUNT per row, in the same query), the last message and its sender (joined), and the current
participants (one prefetch query): two queries for any page size."""

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from users.models import User

from .models import Conversation, Message, Participant


def participant_list_active() -> QuerySet[Participant]:
    return Participant.objects.filter(left_at__isnull=True, user__is_active=True)


def conversation_list(*, user: User) -> QuerySet[Conversation]:
    """The user's conversations (not those they left), most recent activity first."""
    # One membership row per conversation (unique), so filtering through it neither duplicates rows
    # nor needs DISTINCT; the annotation below reuses the same join.
    unread = (
        Message.objects.filter(conversation_id=OuterRef("pk"), created_at__gt=OuterRef("my_last_read_at"))
        .exclude(sender_id=user.pk)
        .order_by()
        .values("conversation_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Conversation.objects.filter(memberships__user=user, memberships__left_at__isnull=True)
        .annotate(my_last_read_at=F("memberships__last_read_at"))
        .annotate(unread_count=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)))
        .select_related("last_message__sender__profile")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=participant_list_active().select_related("user__profile").order_by("joined_at", "id"),
                to_attr="active_memberships",
            )
        )
        .order_by("-updated_at", "-id")
    )


def conversation_get(*, user: User, conversation_id: int) -> Conversation:
    """One of the user's conversations; 404 for anyone who is not (or no longer) a participant."""
    return get_object_or_404(conversation_list(user=user), pk=conversation_id)


def participant_get(*, user: User, conversation_id: int) -> Participant:
    """The user's current membership of a conversation, with the conversation; 404 otherwise."""
    return get_object_or_404(
        Participant.objects.select_related("conversation"),
        conversation_id=conversation_id,
        user=user,
        left_at__isnull=True,
    )


def message_list(*, conversation_id: int) -> QuerySet[Message]:
    """A conversation's messages, newest first, with their senders."""
    return (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("sender__profile")
        .order_by("-created_at", "-id")
    )


def message_get(*, message_id: int) -> Message:
    return Message.objects.select_related("sender__profile").get(pk=message_id)


def message_unread_count(*, user_id: int) -> int:
    """How many messages from others the user has not read, over all their conversations (one query)."""
    return (
        Message.objects.filter(
            conversation__memberships__user_id=user_id,
            conversation__memberships__left_at__isnull=True,
            # The same membership row as above: one join, conditions in one filter() call.
            created_at__gt=F("conversation__memberships__last_read_at"),
        )
        .exclude(sender_id=user_id)
        .count()
    )
