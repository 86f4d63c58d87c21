"""The posts' after-commit signals (:mod:`posts.events`), turned into stream announcements."""

from outbox.services import enqueue_transient

from ..tasks import stream_status_removed_task, stream_status_task


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
