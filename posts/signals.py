"""Cache invalidation only: a follow or unfollow changes the follower's feed."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from users.models import Follow

from . import feed


@receiver(post_save, sender=Follow)
@receiver(post_delete, sender=Follow)
def follow_changed(sender, instance: Follow, **kwargs) -> None:
    follower_id = instance.follower_id
    transaction.on_commit(lambda: feed.invalidate_follows(follower_id))
