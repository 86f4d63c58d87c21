"""Writes for direct messages: starting a conversation, sending, reading, leaving a group.

Rules:
- ``participant_ids`` are the other users (the caller is always a participant; their own id and
  repeated ids are ignored). One other user: a one-to-one conversation, created once per pair (a
  unique ``direct_key``; asking again, or concurrently, gives the existing one). Two or more: a new
  group every time, with an optional title, at most ``MAX_PARTICIPANTS`` people in all.
- A user whose profile says ``allow_messages_from=following`` receives messages only from people
  they follow: nobody else can start a conversation with them (one-to-one or group) or send them a
  one-to-one message (403). Group messages are not checked per message: joining the group was.
- Message times are strictly increasing within a conversation (sends to one conversation take its
  row lock), so a reader's ``last_read_at`` marker says exactly which messages they have read.
  Reading a page of messages moves it to the newest on the page; sending moves it to the new message.
- Sending notifies the other current participants through a Celery task run after commit.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.text import clean_text
from notifications.push import unread_counts_push
from notifications.services import notification_mark_read_for_conversation
from outbox.services import enqueue_on_commit
from users.models import Follow, Profile, User
from users.selectors import user_ids_blocked_either_way

from .models import MAX_MESSAGE_LENGTH, MAX_PARTICIPANTS, MAX_TITLE_LENGTH, Conversation, Message, Participant
from .models import direct_key as make_direct_key
from .tasks import notify_message_task


@dataclass(frozen=True)
class ConversationResult:
    conversation: Conversation
    created: bool


def _refusing(*, sender: User, recipients: list[User]) -> list[User]:
    """The recipients who accept messages only from people they follow and do not follow ``sender``."""
    strict = [u for u in recipients if u.profile.allow_messages_from == Profile.MessagesFrom.FOLLOWING]
    if not strict:
        return []
    following_sender = set(
        Follow.objects.filter(followee=sender, follower__in=strict).values_list("follower_id", flat=True)
    )
    return [u for u in strict if u.pk not in following_sender]


def _refused(refusing: list[User]) -> PermissionDenied:
    names = ", ".join(f"@{u.username}" for u in refusing)
    if len(refusing) == 1:
        return PermissionDenied(f"{names} only accepts messages from people they follow.")
    return PermissionDenied(f"{names} only accept messages from people they follow.")


BLOCKED = "You cannot message a user who blocks you or whom you block."


def _check_not_blocked(*, sender: User, others: list[User]) -> None:
    """Nobody starts a conversation with, or writes one-to-one to, someone blocking them or whom
    they block (403)."""
    if user_ids_blocked_either_way(user_id=sender.pk, other_ids=[u.pk for u in others]):
        raise PermissionDenied(BLOCKED)


def conversation_create(*, creator: User, participant_ids: list[int], title: str | None = None) -> ConversationResult:
    other_ids = [pid for pid in dict.fromkeys(participant_ids) if pid != creator.pk]
    title = (
        clean_text(title, field="title", noun="title", max_length=MAX_TITLE_LENGTH, single_line=True, allow_empty=True)
        or None
    )
    if not other_ids:
        raise ValidationError({"participant_ids": ["Name at least one other user."]})
    if len(other_ids) + 1 > MAX_PARTICIPANTS:
        raise ValidationError(
            {"participant_ids": [f"A conversation has at most {MAX_PARTICIPANTS} participants, you included."]}
        )
    users = {u.pk: u for u in User.objects.filter(pk__in=other_ids, is_active=True).select_related("profile")}
    unknown = [pid for pid in other_ids if pid not in users]
    if unknown:
        raise ValidationError({"participant_ids": [f"Unknown users: {', '.join(map(str, unknown))}."]})
    others = [users[pid] for pid in other_ids]
    _check_not_blocked(sender=creator, others=others)

    if len(others) == 1:
        if title is not None:
            raise ValidationError({"title": ["Only group conversations have a title."]})
        key = make_direct_key(creator.pk, others[0].pk)
        existing = Conversation.objects.filter(direct_key=key).first()
        if existing is not None:
            # Already talking: the conversation is theirs whatever the settings say now; sending
            # is checked message by message.
            return ConversationResult(existing, created=False)
    else:
        key = None

    refusing = _refusing(sender=creator, recipients=others)
    if refusing:
        raise _refused(refusing)
    now = timezone.now()
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                title=title, is_group=key is None, direct_key=key, created_by=creator, created_at=now, updated_at=now
            )
            Participant.objects.bulk_create(
                Participant(conversation=conversation, user=user, joined_at=now, last_read_at=now)
                for user in [creator, *others]
            )
    except IntegrityError:
        if key is None:
            raise
        # A concurrent request created the same one-to-one conversation first.
        return ConversationResult(Conversation.objects.get(direct_key=key), created=False)
    return ConversationResult(conversation, created=True)


def message_clean_content(content: str) -> str:
    return clean_text(content, field="content", noun="message", max_length=MAX_MESSAGE_LENGTH)


def message_send(*, conversation_id: int, sender: User, content: str) -> Message:
    """Add a message to one of the sender's conversations (404 if it is not theirs) and make it the
    conversation's latest activity; everything before it counts as read by the sender. The other
    participants are notified after commit."""
    content = message_clean_content(content)
    with transaction.atomic():
        # The row lock orders concurrent sends to one conversation: each message's time is after
        # the previous one's, in commit order.
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .filter(
                Exists(Participant.objects.filter(conversation=OuterRef("pk"), user=sender, left_at__isnull=True)),
                pk=conversation_id,
            )
            .first()
        )
        if conversation is None:
            raise Http404("No such conversation.")
        if not conversation.is_group:
            others = [
                p.user
                for p in Participant.objects.filter(conversation=conversation)
                .exclude(user=sender)
                .select_related("user__profile")
            ]
            _check_not_blocked(sender=sender, others=others)
            refusing = _refusing(sender=sender, recipients=others)
            if refusing:
                raise _refused(refusing)
        created_at = max(timezone.now(), conversation.updated_at + timedelta(microseconds=1))
        message = Message.objects.create(
            conversation=conversation, sender=sender, content=content, created_at=created_at
        )
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=created_at, last_message=message)
        # Answering means having read what came before (and its notifications). The marker only
        # has to move if something came after it: the latest activity, read under the lock, is
        # then someone else's message (the sender's own always carry their marker along).
        if Participant.objects.filter(
            conversation=conversation, user=sender, last_read_at__lt=conversation.updated_at
        ).update(last_read_at=created_at):
            notification_mark_read_for_conversation(
                user_id=sender.pk, conversation_id=conversation.pk, up_to=created_at
            )
            transaction.on_commit(lambda: unread_counts_push([sender.pk]))
        enqueue_on_commit(notify_message_task, message_id=message.pk)
    return message


def conversation_mark_read(*, participant: Participant, up_to) -> bool:
    """Move the participant's read marker forward to ``up_to`` (a message time); never backwards,
    also when two reads race. The ``message`` notifications of the messages now read are marked
    read too. Returns whether the marker moved."""
    moved = Participant.objects.filter(pk=participant.pk, last_read_at__lt=up_to).update(last_read_at=up_to)
    if moved:
        participant.last_read_at = up_to
        user_id = participant.user_id
        notification_mark_read_for_conversation(
            user_id=user_id, conversation_id=participant.conversation_id, up_to=up_to
        )
        transaction.on_commit(lambda: unread_counts_push([user_id]))
    return bool(moved)


def conversation_leave(*, user: User, conversation_id: int) -> None:
    """Leave a group: the user no longer sees it nor is notified of it; the others see them gone.
    A one-to-one conversation cannot be left (400); someone else's, or one left already, is a 404."""
    with transaction.atomic():
        participant = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("conversation")
            .filter(conversation_id=conversation_id, user=user, left_at__isnull=True)
            .first()
        )
        if participant is None:
            raise Http404("No such conversation.")
        if not participant.conversation.is_group:
            raise DomainError("A one-to-one conversation cannot be left.")
        participant.left_at = timezone.now()
        participant.save(update_fields=["left_at"])
        # The conversation is gone for them: so are its unread notifications.
        notification_mark_read_for_conversation(user_id=user.pk, conversation_id=conversation_id)
        transaction.on_commit(lambda: unread_counts_push([user.pk]))
