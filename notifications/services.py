"""Writes for notifications, called by the features with plain ids: one function per type that
inserts the notifications of the recipients the feature computed, marking as read, and the follow
notification (users announce a follow with ``users.signals.follow_created``; see ``handlers``).

Rules:
- Nobody is notified of their own action: the actor is never a recipient.
- Nobody is notified of the actions of someone they block or who blocks them, or whom they mute
  with notifications (``users.selectors.user_ids_refusing_notifications``); the list leaves out
  earlier ones from them too (``selectors``).
- Each notification has a ``dedupe_key``, unique per recipient, and is inserted with
  ``ON CONFLICT DO NOTHING``: running a task twice, or undoing and redoing an action, inserts nothing
  new. Keys: ``follow:<actor>``, ``like:<actor>:<post>``, ``retweet:<actor>:<post>``,
  ``reply:<reply>``, ``mention:<post>``, ``message:<message>``, ``follow_request:<actor>``.
- New notifications are pushed to their recipients' sockets after commit, then their new unread
  counts (``push``).
"""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

from mini_twitter.observability import metrics
from users.models import Follow, User
from users.selectors import user_ids_refusing_notifications

from .models import Notification
from .push import notifications_push, unread_counts_push

logger = logging.getLogger(__name__)

Type = Notification.Type


def _insert(
    *,
    recipient_ids: Iterable[int],
    actor_id: int,
    type: str,
    dedupe_key: str,
    post_id: int | None = None,
    message_id: int | None = None,
    conversation_id: int | None = None,
    before_push: Callable[[list[int]], None] | None = None,
) -> int:
    """Insert one notification per recipient (the actor excluded) in one statement, and push the new
    ones to their recipients' sockets after commit (after ``before_push(recipient_ids)``, given the
    recipients notified now); returns how many were new. Recipients who have this notification
    already are skipped (and the database skips any a concurrent run inserted)."""
    wanted = [rid for rid in dict.fromkeys(recipient_ids) if rid != actor_id]
    if not wanted:
        return 0
    # Blocks either way, and mutes with notifications: these recipients hear nothing of the actor.
    refusing = user_ids_refusing_notifications(actor_id=actor_id, recipient_ids=wanted)
    wanted = [rid for rid in wanted if rid not in refusing]
    if not wanted:
        return 0
    existing = set(
        Notification.objects.filter(recipient_id__in=wanted, dedupe_key=dedupe_key).values_list(
            "recipient_id", flat=True
        )
    )
    rows = [
        Notification(
            recipient_id=rid,
            actor_id=actor_id,
            type=type,
            post_id=post_id,
            message_id=message_id,
            conversation_id=conversation_id,
            dedupe_key=dedupe_key,
        )
        for rid in wanted
        if rid not in existing
    ]
    if not rows:
        return 0
    try:
        with transaction.atomic():
            # Counted from the database's row count: ignore_conflicts hides which rows it skipped.
            with metrics.inserted_rows() as inserted:
                Notification.objects.bulk_create(rows, ignore_conflicts=True)
            new_ids = list(
                Notification.objects.filter(
                    recipient_id__in=[row.recipient_id for row in rows], dedupe_key=dedupe_key
                ).values_list("id", flat=True)
            )
    except IntegrityError:
        # A foreign key failed: the post, the message or a user was deleted after the caller read
        # it. There is nothing to notify about any more, and retrying would fail the same way.
        logger.info("%s notification %s skipped: what it is about is gone", type, dedupe_key)
        return 0
    if before_push is not None:
        fresh = [row.recipient_id for row in rows]
        transaction.on_commit(lambda: before_push(fresh))
    transaction.on_commit(lambda: notifications_push(new_ids))
    transaction.on_commit(lambda: metrics.notifications_created(type=type, count=inserted.count))
    return len(rows)


def notification_create_for_follow(*, follow_id: int) -> Notification | None:
    """Notify the followee. ``None`` when the follow is gone (unfollowed before the task ran)."""
    follow = Follow.objects.filter(pk=follow_id).values("follower_id", "followee_id").first()
    if follow is None:
        return None
    actor_id, recipient_id = follow["follower_id"], follow["followee_id"]
    _insert(recipient_ids=[recipient_id], actor_id=actor_id, type=Type.FOLLOW, dedupe_key=f"follow:{actor_id}")
    return (
        Notification.objects.select_related("recipient__profile")
        .filter(recipient_id=recipient_id, dedupe_key=f"follow:{actor_id}")
        .first()
    )


def notification_create_follow_request(*, actor_id: int, recipient_id: int) -> int:
    """``actor_id`` asked to follow ``recipient_id``'s protected account (approving it adds no follow
    notification: this one stays the only one about it)."""
    return _insert(
        recipient_ids=[recipient_id],
        actor_id=actor_id,
        type=Type.FOLLOW_REQUEST,
        dedupe_key=f"follow_request:{actor_id}",
    )


def notification_create_like(*, actor_id: int, recipient_id: int, post_id: int) -> int:
    """``actor_id`` liked ``post_id``, written by ``recipient_id``."""
    return _insert(
        recipient_ids=[recipient_id],
        actor_id=actor_id,
        type=Type.LIKE,
        post_id=post_id,
        dedupe_key=f"like:{actor_id}:{post_id}",
    )


def notification_create_retweet(*, actor_id: int, recipient_id: int, post_id: int) -> int:
    """``actor_id`` retweeted ``post_id``, written by ``recipient_id``."""
    return _insert(
        recipient_ids=[recipient_id],
        actor_id=actor_id,
        type=Type.RETWEET,
        post_id=post_id,
        dedupe_key=f"retweet:{actor_id}:{post_id}",
    )


def notification_create_reply(*, actor_id: int, recipient_id: int, reply_id: int) -> int:
    """``actor_id`` answered a post of ``recipient_id`` with the post ``reply_id``."""
    return _insert(
        recipient_ids=[recipient_id],
        actor_id=actor_id,
        type=Type.REPLY,
        post_id=reply_id,
        dedupe_key=f"reply:{reply_id}",
    )


def notification_create_mentions(*, actor_id: int, recipient_ids: Iterable[int], post_id: int) -> int:
    """``actor_id``'s post ``post_id`` mentions ``recipient_ids``: one INSERT for all of them."""
    return _insert(
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        type=Type.MENTION,
        post_id=post_id,
        dedupe_key=f"mention:{post_id}",
    )


def notification_create_message(
    *,
    actor_id: int,
    recipient_ids: Iterable[int],
    message_id: int,
    conversation_id: int,
    before_push: Callable[[list[int]], None] | None = None,
) -> int:
    """``actor_id`` sent the message ``message_id`` to the conversation ``conversation_id``, whose
    other participants are ``recipient_ids``. ``before_push(recipient_ids)`` runs after commit for
    the recipients notified now, before their notification is pushed (the message frame first)."""
    return _insert(
        recipient_ids=recipient_ids,
        actor_id=actor_id,
        type=Type.MESSAGE,
        message_id=message_id,
        conversation_id=conversation_id,
        dedupe_key=f"message:{message_id}",
        before_push=before_push,
    )


def notification_mark_read(*, notification: Notification) -> None:
    """Mark a notification read (the caller found it among its recipient's)."""
    if not notification.is_read:
        Notification.objects.filter(pk=notification.pk).update(is_read=True)
        notification.is_read = True
        recipient_id = notification.recipient_id
        transaction.on_commit(lambda: unread_counts_push([recipient_id]))


def notification_mark_read_for_conversation(
    *, user_id: int, conversation_id: int, up_to: datetime | None = None
) -> int:
    """Mark read the user's notifications of a conversation: with ``up_to``, those of the messages
    sent at or before it (their read marker moved there; later messages' notifications stay unread);
    without, all of them (they left it). Returns how many were marked; pushing the new counts is the
    caller's (its own counts changed too)."""
    unread = Notification.objects.filter(recipient_id=user_id, conversation_id=conversation_id, is_read=False)
    if up_to is not None:
        unread = unread.filter(type=Type.MESSAGE, message__created_at__lte=up_to)
    return unread.update(is_read=True)


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(recipient=user, is_read=False).update(is_read=True)
    if marked:
        transaction.on_commit(lambda: unread_counts_push([user.pk]))
    return marked


def notification_delete(*, notification: Notification) -> None:
    """Dismiss a notification (the caller found it among its recipient's): it is deleted, and the
    recipient's unread count pushed if it was unread."""
    deleted, _ = Notification.objects.filter(pk=notification.pk).delete()
    if deleted and not notification.is_read:
        recipient_id = notification.recipient_id
        transaction.on_commit(lambda: unread_counts_push([recipient_id]))


def notifications_delete_all(*, user: User, types: Iterable[str] | None = None) -> int:
    """Dismiss all the user's notifications, or those of these ``types``; returns how many were
    deleted."""
    mine = Notification.objects.filter(recipient=user)
    if types is not None:
        mine = mine.filter(type__in=list(types))
    unread = mine.filter(is_read=False).exists()
    deleted, _ = mine.delete()
    if unread:
        transaction.on_commit(lambda: unread_counts_push([user.pk]))
    return deleted
