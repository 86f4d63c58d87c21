"""Cache maintenance only: a follow or unfollow changes the follower's feed (the database
store's versions, and the Redis home timeline right after commit: the followee's recent entries
merged in, or removed; recorded with the follow, see :mod:`posts.tasks`), a read that finds a Redis
timeline missing has it rebuilt, and a changed user or profile changes the short user form cached
for feed items, as a changed image (its alt text) changes its post's cached representation. A
deactivated or reactivated account's likes, retweets and replies are recounted.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from media.models import Media
from outbox.services import enqueue_transient
from users.models import Follow, Profile, User
from users.signals import user_activity_changed

from . import feed, hydration
from .feed import timelines
from .services import reaction_counts_recount
from .tasks import timeline_follow_changed, timeline_rebuild_task


@receiver(post_save, sender=Follow)
@receiver(post_delete, sender=Follow)
def follow_changed(sender, instance: Follow, created: bool = False, **kwargs) -> None:
    follower_id, followee_id = instance.follower_id, instance.followee_id
    transaction.on_commit(lambda: feed.invalidate_follows(follower_id))
    if kwargs.get("signal") is post_delete or created:
        timeline_follow_changed(follower_id=follower_id, followee_id=followee_id)


@receiver(timelines.rebuild_wanted)
def timeline_missing(sender, *, home_id: int | None, user_id: int | None, **kwargs) -> None:
    # Asked for again by the next read if lost: no outbox row.
    if home_id is not None:
        enqueue_transient(timeline_rebuild_task, home_id=home_id)
    else:
        enqueue_transient(timeline_rebuild_task, user_id=user_id)


# What the short user form shows, and what the visibility rule reads with it (``is_active``: a
# deactivated author's posts disappear; ``is_protected``: a protected author's are for followers).
SHORT_FORM_FIELDS = {"username", "display_name", "avatar", "is_active", "is_protected"}


@receiver(post_save, sender=User)
@receiver(post_save, sender=Profile)
def user_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """A user's cached short form (in post representations) goes when what it shows may change."""
    if update_fields is not None and not set(update_fields) & SHORT_FORM_FIELDS:
        return  # a login, a bio, settings: not in the short form
    user_id = instance.pk
    transaction.on_commit(lambda: hydration.forget_users([user_id]))


# What a post's representation shows of its images that their owner may change after upload.
MEDIA_DETAIL_FIELDS = {"description", "focus_x", "focus_y"}


@receiver(post_save, sender=Media)
def media_changed(sender, instance: Media, created: bool = False, update_fields=None, **kwargs) -> None:
    """An attached image's alt text or focal point changed: its post's cached representation goes."""
    if created or instance.post_id is None:
        return
    if update_fields is not None and not set(update_fields) & MEDIA_DETAIL_FIELDS:
        return
    post_id = instance.post_id
    transaction.on_commit(lambda: hydration.forget_posts([post_id]))


@receiver(user_activity_changed)
def user_activity_changed_recount(sender, *, user: User, **kwargs) -> None:
    """A deactivated or reactivated account's likes, retweets and replies are (un)counted."""
    reaction_counts_recount(user_id=user.pk)
