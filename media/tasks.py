"""Periodic cleanup of uploads never attached to a post."""

from celery import shared_task

from .services import media_delete_unattached


@shared_task(name="media.delete_unattached", soft_time_limit=300, time_limit=360)
def delete_unattached_media_task() -> int:
    return media_delete_unattached()
