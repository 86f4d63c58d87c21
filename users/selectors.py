"""Reads for users, profiles and follows, with what their serializers need already loaded."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from .models import ApiKey, Follow, Profile, User


def user_list_active() -> QuerySet[User]:
    """The users anyone may see (active accounts), with their profiles."""
    return User.objects.filter(is_active=True).select_related("profile")


def _named(qs: QuerySet[User], text: str) -> QuerySet[User]:
    return qs.filter(Q(username__icontains=text) | Q(profile__display_name__icontains=text))


def user_list(*, search: str | None = None) -> QuerySet[User]:
    qs = user_list_active()
    if search:
        qs = _named(qs, search)
    return qs.order_by("id")


def user_search(*, text: str) -> QuerySet[User]:
    """Users whose username or display name holds ``text``: an exact username first, then by name."""
    return (
        _named(user_list_active(), text).annotate(exact=Q(username__iexact=text)).order_by("-exact", Lower("username"))
    )


def user_get(*, user_id: int) -> User:
    return get_object_or_404(user_list_active(), pk=user_id)


def follow_list_followers(*, user: User) -> QuerySet[Follow]:
    """Follows of which ``user`` is the followee; the follower is loaded (newest first)."""
    return Follow.objects.filter(followee=user, follower__is_active=True).select_related("follower__profile")


def follow_list_following(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(follower=user, followee__is_active=True).select_related("followee__profile")


def profile_list() -> QuerySet[Profile]:
    return Profile.objects.filter(user__is_active=True).select_related("user")


def user_annotate_follow_flags(users: Iterable[User], viewer) -> None:
    """Set ``is_following`` (viewer follows them) and ``follows_you`` on each user, in one query."""
    users = list(users)
    following: set[int] = set()
    followers: set[int] = set()
    if viewer is not None and viewer.is_authenticated and users:
        ids = {u.pk for u in users}
        rows = Follow.objects.filter(
            Q(follower=viewer, followee_id__in=ids) | Q(followee=viewer, follower_id__in=ids)
        ).values_list("follower_id", "followee_id")
        for follower_id, followee_id in rows:
            if follower_id == viewer.pk:
                following.add(followee_id)
            if followee_id == viewer.pk:
                followers.add(follower_id)
    for user in users:
        user.is_following = user.pk in following
        user.follows_you = user.pk in followers


def api_key_list(*, user) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")
