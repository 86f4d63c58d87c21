"""Reads for users, profiles and follows, with what their serializers need already loaded."""

from collections.abc import Iterable

from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from .models import ApiKey, Follow, FollowRequest, Profile, User


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
    """Set ``is_following`` (viewer follows them), ``follows_you`` and ``follow_requested`` (the
    viewer's request to follow them is pending) on each user, in one query."""
    users = list(users)
    following: set[int] = set()
    followers: set[int] = set()
    requested: set[int] = set()
    if viewer is not None and viewer.is_authenticated and users:
        ids = {u.pk for u in users}
        follows = (
            Follow.objects.filter(Q(follower=viewer, followee_id__in=ids) | Q(followee=viewer, follower_id__in=ids))
            .annotate(kind=Value(0, IntegerField()))
            .values_list("follower_id", "followee_id", "kind")
        )
        rows = follows.union(_follow_requests_rows(viewer, ids), all=True)
        for follower_id, followee_id, kind in rows:
            if kind == 1:
                requested.add(followee_id)
                continue
            if follower_id == viewer.pk:
                following.add(followee_id)
            if followee_id == viewer.pk:
                followers.add(follower_id)
    for user in users:
        user.is_following = user.pk in following
        user.follows_you = user.pk in followers
        user.follow_requested = user.pk in requested


def _follow_requests_rows(viewer, ids: set[int]):
    """The viewer's pending requests to follow any of ``ids``, as rows of the follows' union."""
    return (
        FollowRequest.objects.filter(requester=viewer, target_id__in=ids)
        .annotate(kind=Value(1, IntegerField()))
        .values_list("requester_id", "target_id", "kind")
    )


def follow_request_list(*, target: User) -> QuerySet[FollowRequest]:
    """Pending requests to follow ``target`` from active accounts, with the requester loaded
    (ordered by the caller: oldest first)."""
    return FollowRequest.objects.filter(target=target, requester__is_active=True).select_related("requester__profile")


def user_is_protected(*, user: User) -> bool:
    return Profile.objects.filter(pk=user.pk, is_protected=True).exists()


def api_key_list(*, user) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")
