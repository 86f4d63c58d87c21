"""Writes for notifications: one function per event that computes the recipients and inserts their
notifications, marking as read, and the follow email.

Rules:
- Nobody is notified of their own action: the actor is never a recipient.
- Each notification has a ``dedupe_key``, unique per recipient, and is inserted with
  ``ON CONFLICT DO NOTHING``: running a task twice, or undoing and redoing an action, inserts nothing
  new. Keys: ``follow:<actor>``, ``like:<actor>:<post>``, ``retweet:<actor>:<post>``,
  ``reply:<reply>``, ``mention:<post>``, ``message:<message>``.
- A reply notifies the author of the post it answers (type ``reply``, ``post`` = the reply). If the
  reply also mentions that author, the reply notification is enough: the author gets no mention
  notification for that post, also when an edit adds the mention later. Other mentioned users get
  ``mention`` notifications (``post`` = the mentioning post), all in one INSERT.
- A direct message notifies the conversation's other current participants (not those who left),
  with ``conversation`` set.
"""

import logging
from collections.abc import Callable, Iterable

from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from messaging.models import Message
from messaging.selectors import active_participants
from mini_twitter.api.text import one_line
from mini_twitter.observability import metrics
from outbox.services import enqueue_on_commit
from posts.models import Like, Mention, Post, Retweet
from realtime.events import push_message, push_notifications, push_unread_counts
from users.models import Follow, User

from .models import Notification

logger = logging.getLogger(__name__)

Type = Notification.Type


def _insert(
    *,
    recipient_ids: Iterable[int],
    actor_id: int,
    type: str,
    dedupe_key: str,
    post_id=None,
    conversation_id=None,
    before_push: Callable[[list[int]], None] | None = None,
) -> int:
    """Insert one notification per recipient (the actor excluded) in one statement, and push the new
    ones to their recipients' sockets after commit (after ``before_push(recipient_ids)``, given the
    recipients notified now); returns how many were new. Recipients who have this notification
    already are skipped (and the database skips any a concurrent run inserted)."""
    wanted = [rid for rid in dict.fromkeys(recipient_ids) if rid != actor_id]
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
        # A foreign key failed: the post or a user was deleted after we read it. There is nothing to
        # notify about any more, and retrying would fail the same way.
        logger.info("%s notification %s skipped: its post or users are gone", type, dedupe_key)
        return 0
    if before_push is not None:
        fresh = [row.recipient_id for row in rows]
        transaction.on_commit(lambda: before_push(fresh))
    transaction.on_commit(lambda: push_notifications(new_ids))
    transaction.on_commit(lambda: metrics.notifications_created(type=type, count=inserted.count))
    return len(rows)


def notification_create_for_follow(*, follow_id: int) -> Notification | None:
    """Notify the followee; schedule the email when they want it. ``None`` when the follow is gone
    (unfollowed before the task ran)."""
    follow = Follow.objects.filter(pk=follow_id).values("follower_id", "followee_id").first()
    if follow is None:
        return None
    actor_id, recipient_id = follow["follower_id"], follow["followee_id"]
    _insert(recipient_ids=[recipient_id], actor_id=actor_id, type=Type.FOLLOW, dedupe_key=f"follow:{actor_id}")
    notification = (
        Notification.objects.select_related("recipient__profile")
        .filter(recipient_id=recipient_id, dedupe_key=f"follow:{actor_id}")
        .first()
    )
    if notification is not None and notification.emailed_at is None and _wants_email(notification.recipient):
        from .tasks import send_follow_email_task

        enqueue_on_commit(send_follow_email_task, notification_id=notification.pk)
    return notification


def notification_create_for_like(*, like_id: int) -> int:
    like = Like.objects.filter(pk=like_id).values("user_id", "post_id", "post__author_id").first()
    if like is None:
        return 0  # unliked before the task ran
    return _insert(
        recipient_ids=[like["post__author_id"]],
        actor_id=like["user_id"],
        type=Type.LIKE,
        post_id=like["post_id"],
        dedupe_key=f"like:{like['user_id']}:{like['post_id']}",
    )


def notification_create_for_retweet(*, retweet_id: int) -> int:
    retweet = Retweet.objects.filter(pk=retweet_id).values("user_id", "post_id", "post__author_id").first()
    if retweet is None:
        return 0
    return _insert(
        recipient_ids=[retweet["post__author_id"]],
        actor_id=retweet["user_id"],
        type=Type.RETWEET,
        post_id=retweet["post_id"],
        dedupe_key=f"retweet:{retweet['user_id']}:{retweet['post_id']}",
    )


def notifications_create_for_post(*, post_id: int, mentioned_ids: Iterable[int] = ()) -> int:
    """For a new or edited post: the reply notification (if it is a reply) and mention notifications
    for ``mentioned_ids`` that the post still mentions."""
    post = Post.objects.filter(pk=post_id).values("author_id", "reply_to__author_id").first()
    if post is None:
        return 0
    author_id, parent_author_id = post["author_id"], post["reply_to__author_id"]
    count = 0
    if parent_author_id is not None:
        count += _insert(
            recipient_ids=[parent_author_id],
            actor_id=author_id,
            type=Type.REPLY,
            post_id=post_id,
            dedupe_key=f"reply:{post_id}",
        )
    mentioned_ids = list(mentioned_ids)
    if mentioned_ids:
        still_mentioned = (
            Mention.objects.filter(post_id=post_id, user_id__in=mentioned_ids)
            .exclude(user_id=parent_author_id)  # the reply notification covers them
            .values_list("user_id", flat=True)
        )
        count += _insert(
            recipient_ids=still_mentioned,
            actor_id=author_id,
            type=Type.MENTION,
            post_id=post_id,
            dedupe_key=f"mention:{post_id}",
        )
    return count


def notification_create_for_message(*, message_id: int) -> int:
    """Notify the other current participants of a conversation of a new message."""
    message = Message.objects.filter(pk=message_id).values("sender_id", "conversation_id").first()
    if message is None:
        return 0  # deleted with its conversation or its sender
    recipient_ids = list(
        active_participants()
        .filter(conversation_id=message["conversation_id"])
        .exclude(user_id=message["sender_id"])
        .values_list("user_id", flat=True)
    )
    return _insert(
        recipient_ids=recipient_ids,
        actor_id=message["sender_id"],
        type=Type.MESSAGE,
        conversation_id=message["conversation_id"],
        dedupe_key=f"message:{message_id}",
        # The message frame goes first, and only to those notified now (a rerun pushes nothing).
        before_push=lambda fresh: push_message(message_id, fresh),
    )


def notification_mark_read(*, notification: Notification) -> None:
    """Mark a notification read (the caller found it among its recipient's)."""
    if not notification.is_read:
        Notification.objects.filter(pk=notification.pk).update(is_read=True)
        notification.is_read = True
        recipient_id = notification.recipient_id
        transaction.on_commit(lambda: push_unread_counts([recipient_id]))


def notifications_mark_read_for_messages(*, user_id: int, conversation_id: int, up_to) -> int:
    """Mark read the user's ``message`` notifications of a conversation for messages sent at or
    before ``up_to`` (their read marker moved there); later messages' notifications stay unread.
    Returns how many were marked; pushing the new counts is the caller's (it pushes anyway)."""
    unread = dict(
        Notification.objects.filter(
            recipient_id=user_id, conversation_id=conversation_id, type=Type.MESSAGE, is_read=False
        ).values_list("dedupe_key", "pk")
    )
    if not unread:
        return 0
    message_ids = [int(key.partition(":")[2]) for key in unread]
    read = Message.objects.filter(pk__in=message_ids, created_at__lte=up_to).values_list("pk", flat=True)
    pks = [unread[f"message:{message_id}"] for message_id in read]
    return Notification.objects.filter(pk__in=pks, is_read=False).update(is_read=True) if pks else 0


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(recipient=user, is_read=False).update(is_read=True)
    if marked:
        transaction.on_commit(lambda: push_unread_counts([user.pk]))
    return marked


# --- Email ----------------------------------------------------------------------------------


def _wants_email(user: User) -> bool:
    return user.is_active and bool(user.email) and user.profile.email_notifications


def follow_email_send(*, notification_id: int) -> bool:
    """Email the recipient of a follow notification (text and HTML). Returns False without sending
    when the notification is gone, was already emailed, or the recipient turned emails off. SMTP
    failures raise (``OSError``); the caller retries."""
    notification = (
        Notification.objects.select_related("recipient__profile", "actor__profile")
        .filter(pk=notification_id, type=Type.FOLLOW)
        .first()
    )
    if notification is None or notification.emailed_at is not None or not _wants_email(notification.recipient):
        return False
    recipient, actor = notification.recipient, notification.actor
    context = {
        "recipient_name": recipient.profile.display_name or recipient.username,
        "actor_name": actor.profile.display_name or actor.username,
        "actor_username": actor.username,
    }
    message = EmailMultiAlternatives(
        subject=one_line(f"{context['actor_name']} (@{actor.username}) followed you on mini_twitter"),
        body=render_to_string("notifications/follow_email.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(render_to_string("notifications/follow_email.html", context), "text/html")
    message.send()
    # After the send: a worker dying in between sends again on redelivery, which beats never.
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    logger.info("follow email sent for notification %s", notification_id)
    return True
