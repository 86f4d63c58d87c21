"""Reads for users, profiles and follows, with what their serializers need already loaded."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.core.cache import cache
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import ApiKey, Block, Follow, FollowRequest, Mute, Profile, User


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


def _flag_rows(qs: QuerySet, kind: int, source: str, target: str) -> QuerySet:
    """One part of the flags' UNION: (kind, source user id, target user id)."""
    return qs.order_by().annotate(k=Value(kind, IntegerField()), a=F(source), b=F(target)).values_list("k", "a", "b")


FOLLOW, BLOCK, MUTE, REQUEST = 0, 1, 2, 3


def user_annotate_follow_flags(users: Iterable[User], viewer) -> None:
    """Set the viewer's relationship flags on each user in one query: ``is_following`` (viewer
    follows them), ``follows_you``, ``follow_requested`` (the viewer's request to follow them is
    pending), ``is_blocking`` (viewer blocks them), ``is_blocked_by`` and ``is_muting`` (an active
    mute)."""
    users = list(users)
    found: dict[tuple[int, bool], set[int]] = {}
    if viewer is not None and viewer.is_authenticated and users:
        ids = {u.pk for u in users}
        parts = [
            _flag_rows(
                Follow.objects.filter(
                    Q(follower=viewer, followee_id__in=ids) | Q(followee=viewer, follower_id__in=ids)
                ),
                FOLLOW,
                "follower_id",
                "followee_id",
            ),
            _flag_rows(
                FollowRequest.objects.filter(requester=viewer, target_id__in=ids),
                REQUEST,
                "requester_id",
                "target_id",
            ),
            _flag_rows(
                Block.objects.filter(Q(blocker=viewer, blocked_id__in=ids) | Q(blocked=viewer, blocker_id__in=ids)),
                BLOCK,
                "blocker_id",
                "blocked_id",
            ),
            _flag_rows(
                Mute.objects.filter(mute_active_q(), muter=viewer, muted_id__in=ids), MUTE, "muter_id", "muted_id"
            ),
        ]
        for kind, source_id, target_id in parts[0].union(*parts[1:], all=True):
            # (kind, True): the viewer is the source (follows, requests, blocks, mutes them); False: the target.
            if source_id == viewer.pk:
                found.setdefault((kind, True), set()).add(target_id)
            if target_id == viewer.pk:
                found.setdefault((kind, False), set()).add(source_id)
    empty: set[int] = set()
    for user in users:
        user.is_following = user.pk in found.get((FOLLOW, True), empty)
        user.follows_you = user.pk in found.get((FOLLOW, False), empty)
        user.follow_requested = user.pk in found.get((REQUEST, True), empty)
        user.is_blocking = user.pk in found.get((BLOCK, True), empty)
        user.is_blocked_by = user.pk in found.get((BLOCK, False), empty)
        user.is_muting = user.pk in found.get((MUTE, True), empty)


def follow_familiar_followers(*, viewer: User, user_ids: Iterable[int]) -> dict[int, list[int]]:
    """For each of ``user_ids``, the accounts the viewer follows that follow it too, newest follow
    first (one query): active accounts that show whom they follow (not protected) only."""
    user_ids = list(user_ids)
    rows = (
        Follow.objects.filter(
            followee_id__in=user_ids,
            follower__in=Follow.objects.filter(follower=viewer).values("followee_id"),
            follower__is_active=True,
            follower__profile__is_protected=False,
        )
        .order_by("-created_at", "-id")
        .values_list("followee_id", "follower_id")
    )
    familiar: dict[int, list[int]] = {user_id: [] for user_id in user_ids}
    for followee_id, follower_id in rows:
        familiar[followee_id].append(follower_id)
    return familiar


def follow_request_list(*, target: User) -> QuerySet[FollowRequest]:
    """Pending requests to follow ``target`` from active accounts, with the requester loaded
    (ordered by the caller: oldest first)."""
    return FollowRequest.objects.filter(target=target, requester__is_active=True).select_related("requester__profile")


def user_is_protected(*, user: User) -> bool:
    return Profile.objects.filter(pk=user.pk, is_protected=True).exists()


def api_key_list(*, user) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


# --- Blocks and mutes -------------------------------------------------------------------------
# Two forms of the same relations: filters for queries (:func:`relationship_exclude_q`, subqueries,
# so a list costs no extra query and is never stale) and per-viewer sets for data already loaded
# (:func:`relationship_sets`, cached per viewer, forgotten whenever a block or mute of either side
# changes). A mute's expiry is compared with the current time on every read.

RELATIONSHIPS_CACHE_SECONDS = 3600


def mute_active_q(*, prefix: str = "", now: datetime | None = None) -> Q:
    """Mutes that have not ended: forever, or expiring later than now."""
    now = now or timezone.now()
    return Q(**{f"{prefix}expires_at__isnull": True}) | Q(**{f"{prefix}expires_at__gt": now})


def block_exists_between(*, user_id: int, other_id: int) -> bool:
    """Whether either of the two blocks the other."""
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def user_ids_blocked_either_way(*, user_id: int, other_ids: Iterable[int]) -> set[int]:
    """Those of ``other_ids`` who block ``user_id`` or whom ``user_id`` blocks (one query)."""
    other_ids = list(other_ids)
    if not other_ids:
        return set()
    rows = Block.objects.filter(
        Q(blocker_id=user_id, blocked_id__in=other_ids) | Q(blocked_id=user_id, blocker_id__in=other_ids)
    ).values_list("blocker_id", "blocked_id")
    return {blocked_id if blocker_id == user_id else blocker_id for blocker_id, blocked_id in rows}


def block_list(*, user: User) -> QuerySet[Block]:
    """Whom ``user`` blocks (active accounts), with their profiles; unordered."""
    return Block.objects.filter(blocker=user, blocked__is_active=True).select_related("blocked__profile")


def mute_list(*, user: User) -> QuerySet[Mute]:
    """Whom ``user`` mutes now (active accounts, mutes not ended), with their profiles; unordered."""
    return Mute.objects.filter(mute_active_q(), muter=user, muted__is_active=True).select_related("muted__profile")


def relationship_exclude_q(viewer, *, field: str, mutes: bool = False, muted_notifications: bool = False) -> Q:
    """A filter leaving out rows whose user ``field`` (``"author_id"``, ``"actor_id"``...) is someone
    the viewer blocks or who blocks the viewer; with ``mutes``, also someone the viewer mutes now;
    with ``muted_notifications``, someone the viewer mutes now with notifications. ``viewer`` is a
    user or a user id; nothing is left out for an anonymous viewer."""
    if isinstance(viewer, int):
        viewer_id = viewer
    elif viewer is None or not viewer.is_authenticated:
        return Q()
    else:
        viewer_id = viewer.pk
    # NOT EXISTS rather than NOT IN: PostgreSQL plans an anti-join, which lets a list driven by a
    # few rows (a user's likes, retweets or posts) reach the posts by primary key; a NOT IN
    # subplan's cost, counted again on every such lookup, made it scan every post instead.
    author = OuterRef(field)
    q = Q(~Exists(Block.objects.filter(blocker_id=viewer_id, blocked_id=author))) & Q(
        ~Exists(Block.objects.filter(blocked_id=viewer_id, blocker_id=author))
    )
    if mutes or muted_notifications:
        muting = Mute.objects.filter(mute_active_q(), muter_id=viewer_id, muted_id=author)
        if not mutes:
            muting = muting.filter(notifications=True)
        q &= Q(~Exists(muting))
    return q


def user_ids_refusing_notifications(*, actor_id: int, recipient_ids: Iterable[int]) -> set[int]:
    """Those of ``recipient_ids`` who may not be notified of ``actor_id``'s actions: they block the
    actor or are blocked by them, or mute the actor with notifications (one query)."""
    recipient_ids = list(recipient_ids)
    if not recipient_ids:
        return set()
    parts = [
        Block.objects.filter(blocked_id=actor_id, blocker_id__in=recipient_ids).order_by().values_list("blocker_id"),
        Block.objects.filter(blocker_id=actor_id, blocked_id__in=recipient_ids).order_by().values_list("blocked_id"),
        Mute.objects.filter(mute_active_q(), muted_id=actor_id, muter_id__in=recipient_ids, notifications=True)
        .order_by()
        .values_list("muter_id"),
    ]
    return {row[0] for row in parts[0].union(*parts[1:], all=True)}


@dataclass(frozen=True)
class RelationshipSets:
    """A viewer's blocks and mutes as sets of user ids. ``mutes`` maps each muted id to its
    ``(expires_at or None, notifications)``: which mutes count is decided at read time."""

    blocking: frozenset[int] = frozenset()
    blocked_by: frozenset[int] = frozenset()
    mutes: tuple[tuple[int, datetime | None, bool], ...] = ()

    # Derived once per instance (a request reads the feed's every post against them).
    @cached_property
    def blocked_either_way(self) -> frozenset[int]:
        return self.blocking | self.blocked_by

    @cached_property
    def _muted_forever(self) -> frozenset[int]:
        return frozenset(muted for muted, expires_at, _ in self.mutes if expires_at is None)

    @cached_property
    def _muted_until(self) -> tuple[tuple[int, datetime], ...]:
        return tuple((muted, expires_at) for muted, expires_at, _ in self.mutes if expires_at is not None)

    @cached_property
    def _hidden_forever(self) -> frozenset[int]:
        return self.blocked_either_way | self._muted_forever

    def _muted_now(self, now: datetime | None) -> frozenset[int]:
        if not self._muted_until:
            return frozenset()
        now = now or timezone.now()
        return frozenset(muted for muted, expires_at in self._muted_until if expires_at > now)

    def muted(self, *, now: datetime | None = None) -> frozenset[int]:
        """Ids muted now."""
        return self._muted_forever | self._muted_now(now) if self._muted_until else self._muted_forever

    def muted_notifications(self, *, now: datetime | None = None) -> frozenset[int]:
        """Ids muted now with their notifications."""
        now = now or timezone.now()
        return frozenset(
            muted for muted, expires_at, notify in self.mutes if notify and (expires_at is None or expires_at > now)
        )

    def hidden(self, *, mutes: bool, now: datetime | None = None) -> frozenset[int]:
        """Whose posts the viewer does not see: blocked either way, and, with ``mutes``, muted now."""
        if not mutes:
            return self.blocked_either_way
        return self._hidden_forever | self._muted_now(now) if self._muted_until else self._hidden_forever


NO_RELATIONSHIPS = RelationshipSets()


def _relationships_key(user_id: int) -> str:
    return f"users:relationships:{user_id}"


def relationship_sets(viewer) -> RelationshipSets:
    """The viewer's blocks (both ways) and mutes, from the cache or in two queries. Empty for an
    anonymous viewer, without a lookup."""
    if viewer is None or not viewer.is_authenticated:
        return NO_RELATIONSHIPS
    key = _relationships_key(viewer.pk)
    sets = cache.get(key)
    if sets is None:
        blocking, blocked_by = set(), set()
        rows = Block.objects.filter(Q(blocker_id=viewer.pk) | Q(blocked_id=viewer.pk)).values_list(
            "blocker_id", "blocked_id"
        )
        for blocker_id, blocked_id in rows:
            if blocker_id == viewer.pk:
                blocking.add(blocked_id)
            else:
                blocked_by.add(blocker_id)
        # Ended mutes are left out here; those ending later are left out by the readers.
        mutes = Mute.objects.filter(mute_active_q(), muter_id=viewer.pk).values_list(
            "muted_id", "expires_at", "notifications"
        )
        sets = RelationshipSets(frozenset(blocking), frozenset(blocked_by), tuple(sorted(mutes)))
        cache.set(key, sets, RELATIONSHIPS_CACHE_SECONDS)
    return sets


def relationship_sets_forget(user_ids: Iterable[int]) -> None:
    """Drop the cached sets of these users (a block or a mute between them changed)."""
    cache.delete_many([_relationships_key(user_id) for user_id in set(user_ids)])
