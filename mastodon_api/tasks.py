"""Celery tasks of the Mastodon API: statuses announced to the streams (:mod:`.streaming.announce`).
Lost ones cost a live client an event, not data (the timelines are read from the database), so they
are sent without an outbox row; thin and idempotent like the rest."""

from celery import shared_task

from .streaming import announce

STREAM_OPTIONS = {"soft_time_limit": 60, "time_limit": 90}


@shared_task(name="mastodon_api.stream_status", **STREAM_OPTIONS)
def stream_status_task(*, event: str, post_id: int) -> None:
    """A new (``update``) or edited (``status.update``) status to its streams."""
    announce.status_announce(event=event, post_id=post_id, batch_task=stream_home_batch_task)


@shared_task(name="mastodon_api.stream_status_removed", **STREAM_OPTIONS)
def stream_status_removed_task(*, post_id: int, author_id: int, visibility: str, hashtag_ids: list[int]) -> None:
    announce.status_removed_announce(
        post_id=post_id,
        author_id=author_id,
        visibility=visibility,
        hashtag_ids=hashtag_ids,
        batch_task=stream_home_batch_task,
    )


@shared_task(name="mastodon_api.stream_reblog", **STREAM_OPTIONS)
def stream_reblog_task(*, retweet_id: int) -> None:
    announce.reblog_announce(retweet_id=retweet_id, batch_task=stream_home_batch_task)


@shared_task(name="mastodon_api.stream_reblog_removed", **STREAM_OPTIONS)
def stream_reblog_removed_task(*, retweet_id: int, user_id: int) -> None:
    announce.reblog_removed_announce(retweet_id=retweet_id, user_id=user_id, batch_task=stream_home_batch_task)


@shared_task(name="mastodon_api.stream_home_batch", **STREAM_OPTIONS)
def stream_home_batch_task(*, message: dict, user_ids: list[int]) -> None:
    """One batch of a status's home fan-out."""
    announce.home_send(message, user_ids)
