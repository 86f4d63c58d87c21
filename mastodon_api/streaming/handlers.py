"""The posts' after-commit signals (:mod:`posts.events`), turned into stream announcements, and
revoked access tokens, which end their streams."""

from django.db import transaction

from outbox.services import enqueue_transient
from realtime.events import CLOSE_AUTH_FAILED, close_group

from ..tasks import stream_reblog_removed_task, stream_reblog_task, stream_status_removed_task, stream_status_task
from .groups import token_group


def post_published_stream(sender, *, post_id: int, **kwargs) -> None:
    enqueue_transient(stream_status_task, event="update", post_id=post_id)


def post_edited_stream(sender, *, post_id: int, **kwargs) -> None:
    enqueue_transient(stream_status_task, event="status.update", post_id=post_id)


def post_removed_stream(
    sender, *, post_id: int, author_id: int, visibility: str, hashtag_ids: list[int], **kwargs
) -> None:
    enqueue_transient(
        stream_status_removed_task,
        post_id=post_id,
        author_id=author_id,
        visibility=visibility,
        hashtag_ids=list(hashtag_ids),
    )


def retweet_published_stream(sender, *, retweet_id: int, **kwargs) -> None:
    enqueue_transient(stream_reblog_task, retweet_id=retweet_id)


def retweet_removed_stream(sender, *, retweet_id: int, user_id: int, **kwargs) -> None:
    enqueue_transient(stream_reblog_removed_task, retweet_id=retweet_id, user_id=user_id)


def access_token_deleted_close_streams(sender, *, instance, **kwargs) -> None:
    """A revoked access token (django-oauth-toolkit deletes it) ends its streams after commit."""
    token_id = instance.pk
    transaction.on_commit(lambda: close_group(token_group(token_id), CLOSE_AUTH_FAILED))
