"""Who a like, a retweet or a post notifies, computed here and handed to notifications' services
(run by the notify tasks in ``tasks``, after commit).

- A like or a retweet notifies the post's author.
- A reply notifies the author of the post it answers (type ``reply``, ``post`` = the reply). If the
  reply also mentions that author, the reply notification is enough: the author gets no mention
  notification for that post, also when an edit adds the mention later. Other mentioned users get
  ``mention`` notifications (``post`` = the mentioning post), all in one INSERT.
- The rows may be gone when the task runs (unliked, deleted): then nobody is notified.
- A reply or a mention in a post the recipient may not see (:mod:`posts.visibility`) notifies nobody.
"""

from collections.abc import Iterable

from notifications.services import (
    notification_create_like,
    notification_create_mentions,
    notification_create_reply,
    notification_create_retweet,
)

from .models import Like, Mention, Post, Retweet
from .visibility import POST_AUDIENCE_FIELDS, post_viewer_ids


def like_notify(*, like_id: int) -> int:
    like = Like.objects.filter(pk=like_id).values("user_id", "post_id", "post__author_id").first()
    if like is None:
        return 0  # unliked before the task ran
    return notification_create_like(
        actor_id=like["user_id"], recipient_id=like["post__author_id"], post_id=like["post_id"]
    )


def retweet_notify(*, retweet_id: int) -> int:
    retweet = Retweet.objects.filter(pk=retweet_id).values("user_id", "post_id", "post__author_id").first()
    if retweet is None:
        return 0
    return notification_create_retweet(
        actor_id=retweet["user_id"], recipient_id=retweet["post__author_id"], post_id=retweet["post_id"]
    )


def post_notify(*, post_id: int, mentioned_ids: Iterable[int] = ()) -> int:
    """For a new or edited post: the reply notification (if it is a reply) and mention notifications
    for ``mentioned_ids`` that the post still mentions."""
    post = Post.objects.filter(pk=post_id).values("reply_to__author_id", *POST_AUDIENCE_FIELDS).first()
    if post is None:
        return 0
    author_id, parent_author_id = post["author_id"], post["reply_to__author_id"]
    count = 0
    if parent_author_id is not None and post_viewer_ids(post=post, user_ids=[parent_author_id]):
        count += notification_create_reply(actor_id=author_id, recipient_id=parent_author_id, reply_id=post_id)
    mentioned_ids = list(mentioned_ids)
    if mentioned_ids:
        still_mentioned = (
            Mention.objects.filter(post_id=post_id, user_id__in=mentioned_ids)
            .exclude(user_id=parent_author_id)  # the reply notification covers them
            .values_list("user_id", flat=True)
        )
        recipients = post_viewer_ids(post=post, user_ids=still_mentioned)
        count += notification_create_mentions(actor_id=author_id, recipient_ids=sorted(recipients), post_id=post_id)
    return count
