"""Writes for accounts, profiles, follows, logout and password reset."""

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from media.images import process_image
from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.text import clean_text
from outbox.services import batched as outbox_batched
from outbox.services import enqueue_on_commit
from realtime.events import CLOSE_AUTH_FAILED, close_group, session_sockets_group

from .authentication import revoked_sessions_after_ending, session_of
from .models import ApiKey, Block, Follow, FollowRequest, Mute, PasswordResetCode, Profile, User
from .password_reset import code_hash
from .selectors import block_exists_between, relationship_sets_forget
from .signals import block_created, follow_created, follow_requested
from .tasks import send_password_reset_email_task
from .usernames import USERNAME_TAKEN, normalize_username, username_skeleton, validate_username_scripts

logger = logging.getLogger(__name__)


# The contract answers 400 for a registered address, so the answer itself can't hide that the
# address is unusable; the message does not say it belongs to an account (as GitHub's sign-up), and
# the same words answer a malformed address. Registration is throttled per address and per name.
EMAIL_UNAVAILABLE = "This email address is invalid or already in use."


def display_name_clean(value: str | None) -> str:
    return clean_text(
        value, field="display_name", noun="display name", max_length=50, single_line=True, allow_empty=True
    )


def _registration_conflicts(*, username: str, email: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if User.objects.filter(Q(username__iexact=username) | Q(username_skeleton=username_skeleton(username))).exists():
        errors["username"] = [USERNAME_TAKEN]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [EMAIL_UNAVAILABLE]
    return errors


def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Register. A username that is a look-alike of an existing one (same skeleton, see
    ``users.usernames``) is taken, as is the same name in another case."""
    username = normalize_username(username)
    display_name = display_name_clean(display_name)
    errors = _registration_conflicts(username=username, email=email)
    if "username" not in errors:
        # After the look-alike check: a look-alike of a taken name is "taken", whatever its scripts.
        try:
            validate_username_scripts(username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, email=email, password=password)
            if display_name:
                user.profile.display_name = display_name
                user.profile.save(update_fields=["display_name"])
    except IntegrityError as exc:
        # Lost a race with a concurrent registration of the same (or a look-alike) name or email.
        conflicts = _registration_conflicts(username=username, email=email) or {"username": [USERNAME_TAKEN]}
        raise ValidationError(conflicts) from exc
    return user


@dataclass(frozen=True)
class FollowResult:
    """``follow`` the follow (None when the followee is protected and it became ``requested``);
    ``created`` whether it (or the request) is new."""

    follow: Follow | None
    created: bool
    requested: bool = False


def _count_follow(
    *, follower_id: int, followee_id: int, delta: int, follower_active: bool = True, followee_active: bool = True
) -> None:
    """Count a follow made (``delta`` 1) or undone (-1) on both profiles. The two rows are updated
    in id order, so two users following each other at once never deadlock. The counters count
    active accounts only: a deactivated side was already uncounted (:func:`follow_counts_recount`),
    so its counterpart's counter is left as it is."""
    updates = {}
    if followee_active:
        updates[follower_id] = {"following_count": F("following_count") + delta}
    if follower_active:
        updates[followee_id] = {"followers_count": F("followers_count") + delta}
    for pk in sorted(updates):
        Profile.objects.filter(pk=pk).update(**updates[pk])


def _active_count(qs, field: str):
    """``qs``'s rows counted per outer profile (``field`` = the outer pk), as an UPDATE subquery."""
    counted = qs.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def follow_counts_recount(*, user_id: int) -> None:
    """Recount, in two statements, the counters the user's follows are in: ``followers_count`` of
    everyone the user follows and ``following_count`` of everyone following the user, counting
    active counterparts only. Run when the user is deactivated or reactivated."""
    Profile.objects.filter(pk__in=Follow.objects.filter(follower_id=user_id).values("followee_id")).update(
        followers_count=_active_count(Follow.objects.filter(follower__is_active=True), "followee_id")
    )
    Profile.objects.filter(pk__in=Follow.objects.filter(followee_id=user_id).values("follower_id")).update(
        following_count=_active_count(Follow.objects.filter(followee__is_active=True), "follower_id")
    )


def user_activity_changed_recount(sender, *, user: User, **kwargs) -> None:
    """``signals.user_activity_changed`` receiver (connected in ``UsersConfig.ready``)."""
    follow_counts_recount(user_id=user.pk)


BLOCKED_FOLLOW = "You cannot follow this user."


def _pair_lock(*user_ids: int) -> None:
    """Lock the two users' profiles (in id order, as the counters are updated): a follow and a
    block between the same two users run one after the other, so no follow outlives a block."""
    list(Profile.objects.select_for_update().filter(pk__in=user_ids).order_by("pk").values_list("pk", flat=True))


def follow_create(*, follower: User, followee: User, ask_protected: bool = True) -> FollowResult:
    """Follow; a new follow is announced with ``signals.follow_created`` inside its transaction. A
    protected account is not followed but asked (:func:`follow_request_create`), unless
    ``ask_protected`` is false (staff making the follow in the admin). Between two users of whom one
    blocks the other → ``PermissionDenied``."""
    if follower.pk == followee.pk:
        raise DomainError("You cannot follow yourself.")
    if block_exists_between(user_id=follower.pk, other_id=followee.pk):
        raise PermissionDenied(BLOCKED_FOLLOW)
    existing = Follow.objects.filter(follower=follower, followee=followee).first()
    if existing:
        return FollowResult(existing, created=False)
    if ask_protected and Profile.objects.filter(pk=followee.pk, is_protected=True).exists():
        return follow_request_create(requester=follower, target=followee)
    return _follow_insert(follower=follower, followee=followee)


def _follow_insert(*, follower: User, followee: User, requested: bool = False) -> FollowResult:
    """Store a follow with its counts; ``requested``: an approved request (see ``signals``)."""
    try:
        # The outbox rows of what follows the commit (timeline, notification) go in one INSERT.
        with transaction.atomic(), outbox_batched():
            _pair_lock(follower.pk, followee.pk)
            # Checked again under the lock: a block committed since the first check wins.
            if block_exists_between(user_id=follower.pk, other_id=followee.pk):
                raise PermissionDenied(BLOCKED_FOLLOW)
            follow = Follow.objects.create(follower=follower, followee=followee)
            _count_follow(follower_id=follower.pk, followee_id=followee.pk, delta=1)
            follow_created.send(sender=Follow, follow=follow, requested=requested)
    except IntegrityError:
        # A concurrent request created the same follow first: the outcome is "already following".
        return FollowResult(Follow.objects.get(follower=follower, followee=followee), created=False)
    return FollowResult(follow, created=True)


def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow, or cancel a pending request to follow. The request goes first: an approval running
    at the same moment holds it locked, so this waits for its follow and then undoes that too."""
    with transaction.atomic():
        FollowRequest.objects.filter(requester=follower, target=followee).delete()
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if deleted:
            _count_follow(
                follower_id=follower.pk,
                followee_id=followee.pk,
                delta=-1,
                follower_active=follower.is_active,
                followee_active=followee.is_active,
            )
    return bool(deleted)


# --- Follow requests (protected accounts) ------------------------------------------------------


def follow_request_create(*, requester: User, target: User) -> FollowResult:
    """Ask to follow a protected account; a new request is announced with
    ``signals.follow_requested`` inside its transaction (the target's notification)."""
    try:
        with transaction.atomic():
            request, created = FollowRequest.objects.get_or_create(requester=requester, target=target)
            if created:
                follow_requested.send(sender=FollowRequest, follow_request=request)
    except IntegrityError:
        created = False  # a concurrent request asked first
    return FollowResult(None, created=created, requested=True)


def _follow_request_take(*, target: User, request_id: int) -> FollowRequest:
    """Delete one of the target's pending requests, locked first (see :func:`follow_delete`);
    404 when it is not theirs or gone. Inside the caller's transaction."""
    request = (
        FollowRequest.objects.select_for_update(of=("self",))
        .select_related("requester__profile")
        .filter(pk=request_id, target=target)
        .first()
    )
    if request is None:
        raise Http404("No such follow request.")
    FollowRequest.objects.filter(pk=request.pk).delete()
    return request


def follow_request_approve(*, target: User, request_id: int) -> FollowRequest:
    """Approve a request to follow me: it becomes a follow (counts, feeds) in this transaction; no
    follow notification (the request's is the one)."""
    with transaction.atomic():
        request = _follow_request_take(target=target, request_id=request_id)
        if request.requester.is_active:
            _follow_insert(follower=request.requester, followee=target, requested=True)
    return request


def follow_request_reject(*, target: User, request_id: int) -> FollowRequest:
    with transaction.atomic():
        return _follow_request_take(target=target, request_id=request_id)


def follow_requests_approve_all(*, target: User) -> int:
    """Approve every pending request to follow ``target`` (protection turned off), oldest first."""
    with transaction.atomic():
        requests = list(
            FollowRequest.objects.select_for_update(of=("self",))
            .select_related("requester")
            .filter(target=target)
            .order_by("created_at", "id")
        )
        FollowRequest.objects.filter(pk__in=[r.pk for r in requests]).delete()
        for request in requests:
            if request.requester.is_active:
                _follow_insert(follower=request.requester, followee=target, requested=True)
    return len(requests)


# --- Blocks and mutes -------------------------------------------------------------------------


def _relationships_changed(*user_ids: int) -> None:
    # Now, for the rest of this transaction, and again after commit: a read between the two may
    # have cached the sets as they were.
    relationship_sets_forget(user_ids)
    transaction.on_commit(lambda: relationship_sets_forget(user_ids))


def block_create(*, blocker: User, blocked: User) -> bool:
    """Block; returns whether the block is new. The follows and pending follow requests between the
    two go, both ways (counters and feeds follow, as for an unfollow); a new block is announced with
    ``signals.block_created`` inside its transaction."""
    if blocker.pk == blocked.pk:
        raise DomainError("You cannot block yourself.")
    with transaction.atomic():
        _pair_lock(blocker.pk, blocked.pk)
        block, created = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
        for follower, followee in ((blocker, blocked), (blocked, blocker)):
            follow_delete(follower=follower, followee=followee)  # and a pending request
        _relationships_changed(blocker.pk, blocked.pk)
        if created:
            block_created.send(sender=Block, block=block)
    return created


def block_delete(*, blocker: User, blocked: User) -> bool:
    """Unblock (follows are not restored); returns whether there was a block."""
    with transaction.atomic():
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            _relationships_changed(blocker.pk, blocked.pk)
    return bool(deleted)


MIN_MUTE_SECONDS = 60


def mute_create(
    *, muter: User, muted: User, notifications: bool = True, duration: int | None = None
) -> tuple[Mute, bool]:
    """Mute, for ``duration`` seconds (at least 60) or, without, until unmuted; a mute in force is
    replaced with these settings. Returns the mute and whether it is new (a mute that had ended
    counts as none)."""
    if muter.pk == muted.pk:
        raise DomainError("You cannot mute yourself.")
    if duration is not None and duration < MIN_MUTE_SECONDS:
        raise ValidationError({"duration": [f"Ensure this value is greater than or equal to {MIN_MUTE_SECONDS}."]})
    now = timezone.now()
    expires_at = now + timedelta(seconds=duration) if duration is not None else None
    with transaction.atomic():
        existing = Mute.objects.select_for_update().filter(muter=muter, muted=muted).first()
        created = existing is None or (existing.expires_at is not None and existing.expires_at <= now)
        mute, _ = Mute.objects.update_or_create(
            muter=muter,
            muted=muted,
            defaults={"notifications": notifications, "expires_at": expires_at, "created_at": now},
        )
        _relationships_changed(muter.pk, muted.pk)
    return mute, created


def mute_delete(*, muter: User, muted: User) -> bool:
    with transaction.atomic():
        deleted, _ = Mute.objects.filter(muter=muter, muted=muted).delete()
        if deleted:
            _relationships_changed(muter.pk, muted.pk)
    return bool(deleted)


PROFILE_FIELDS = (
    "display_name",
    "bio",
    "location",
    "website",
    "email_notifications",
    "allow_messages_from",
    "is_protected",
)


def profile_update(*, user: User, data: dict) -> Profile:
    """Apply validated profile fields; ``avatar`` (an uploaded file, or None to remove) is
    re-encoded and stored under a server-chosen name."""
    data = dict(data)
    if "display_name" in data:
        data["display_name"] = display_name_clean(data["display_name"])
    if "location" in data:
        data["location"] = clean_text(
            data["location"], field="location", noun="location", max_length=100, single_line=True, allow_empty=True
        )
    profile = user.profile
    unprotected = profile.is_protected and data.get("is_protected") is False
    changed = [field for field in PROFILE_FIELDS if field in data]
    for field in changed:
        setattr(profile, field, data[field])
    old_avatar = profile.avatar.name if profile.avatar else None
    new_avatar = None
    if "avatar" in data:
        if data["avatar"] is None:
            profile.avatar = None
        else:
            try:
                image = process_image(data["avatar"])
            except ValidationError as exc:
                raise ValidationError({"avatar": exc.messages}) from exc
            new_avatar = profile.avatar.field.generate_filename(profile, image.filename())
            new_avatar = profile.avatar.storage.save(new_avatar, image.content)
            profile.avatar = new_avatar
        changed.append("avatar")
    try:
        # Only the edited columns: the counters are changed concurrently by F() updates.
        profile.save(update_fields=[*changed, "updated_at"])
    except Exception:
        if new_avatar:
            profile.avatar.storage.delete(new_avatar)
        raise
    if unprotected:
        # No longer protected: whoever asked now follows (turning protection on keeps followers).
        follow_requests_approve_all(target=user)
    if "avatar" in data and old_avatar and old_avatar != (profile.avatar.name if profile.avatar else None):
        storage = Profile._meta.get_field("avatar").storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return profile


TOKEN_USED = "Token is blacklisted"  # noqa: S105 - simplejwt's message, not a secret


def _refresh_token_use(refresh: RefreshToken, user: User | None) -> None:
    """Blacklist a refresh token as it is used (rotated or logged out with). Inside a transaction;
    the insert is the check: of two requests using one token at once, the second waits for the
    first to commit and then fails on the unique token column (``IntegrityError``), so a token is
    never used twice, and a session never gets two live refresh tokens."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=refresh[jwt_settings.JTI_CLAIM],
        defaults={
            "user": user,
            "created_at": refresh.current_time,
            "token": str(refresh),
            "expires_at": datetime_from_epoch(refresh["exp"]),
        },
    )
    BlacklistedToken.objects.create(token=outstanding)


def refresh_token_rotate(*, refresh: RefreshToken, user: User) -> tuple[str, str]:
    """Use a checked refresh token (``SessionJWTAuthentication.get_user`` passed) once: it is
    blacklisted and a new access and refresh token of the same session are returned. Raises
    ``TokenError`` when the token was used meanwhile."""
    try:
        with transaction.atomic():
            _refresh_token_use(refresh, user)
            access = str(refresh.access_token)
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            OutstandingToken.objects.create(
                user=user,
                jti=refresh[jwt_settings.JTI_CLAIM],
                token=str(refresh),
                created_at=refresh.current_time,
                expires_at=datetime_from_epoch(refresh["exp"]),
            )
    except IntegrityError as exc:
        raise TokenError(TOKEN_USED) from exc
    return access, str(refresh)


def refresh_token_revoke(*, token: str) -> None:
    """Logout: blacklist the refresh token and end its session, so the access tokens it minted stop
    working and the sockets they opened close (4001); the user's other sessions go on. Raises
    ``TokenError`` when the token is invalid or already used (rotated or logged out with, even by
    a request running at the same time)."""
    refresh = RefreshToken(token)
    sid = session_of(refresh)
    try:
        with transaction.atomic():
            _refresh_token_use(refresh, None)
            if sid is not None:
                session_end(user_id=refresh[jwt_settings.USER_ID_CLAIM], sid=sid)
    except IntegrityError as exc:
        raise TokenError(TOKEN_USED) from exc


def session_end(*, user_id: int, sid: str) -> None:
    # Locked: two devices logging out at once must not drop each other's entry.
    revoked = User.objects.select_for_update().filter(pk=user_id).values_list("revoked_sessions", flat=True).first()
    if revoked is None:
        return
    # An update, not a save: nothing the user's cached forms show has changed.
    User.objects.filter(pk=user_id).update(revoked_sessions=revoked_sessions_after_ending(revoked, sid))
    transaction.on_commit(lambda: close_group(session_sockets_group(sid), CLOSE_AUTH_FAILED))


# --- Password reset -------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Schedule a reset code for the account with this email, if there is one. The caller's answer
    is the same either way, and so is the work done here: one query and one task enqueued (for no
    account, a task that does nothing), so the time taken does not tell either."""
    user_id = User.objects.filter(email__iexact=email, is_active=True).values_list("pk", flat=True).first()
    enqueue_on_commit(send_password_reset_email_task, user_id=user_id)


INVALID_CODE = "The code is invalid or has expired."


def password_reset_confirm(*, email: str, code: str, new_password: str) -> User:
    """Set a new password with the emailed code; every token and socket of the account is revoked.
    The live code and its user are found in one query, so an unknown address costs what a known one
    without a live code does."""
    with transaction.atomic():
        record = (
            PasswordResetCode.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(
                user__email__iexact=email,
                user__is_active=True,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at")
            .first()
        )
        if record is None or record.attempts >= settings.PASSWORD_RESET_MAX_ATTEMPTS:
            raise ValidationError({"code": [INVALID_CODE]})
        user = record.user
        wrong_code = not hmac.compare_digest(record.code_hash, code_hash(user.pk, code))
        if wrong_code:
            # Counted in a committed write, so the request failing does not undo the count.
            PasswordResetCode.objects.filter(pk=record.pk).update(attempts=F("attempts") + 1)
        else:
            try:
                password_validation.validate_password(new_password, user=user)
            except ValidationError as exc:
                raise ValidationError({"new_password": list(exc.messages)}) from exc
            # Saving a new password ends every session of the account (``User.save``).
            user.set_password(new_password)
            user.save(update_fields=["password"])
            record.used_at = timezone.now()
            record.save(update_fields=["used_at"])
    if wrong_code:
        raise ValidationError({"code": [INVALID_CODE]})
    return user


# --- API keys for the microblog front-end API --------------------------------------------------


def api_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, user: User, name: str, key: str | None = None) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the key itself, which is not stored and can't be shown
    again. ``key`` is for fixed demo keys only; real keys are random."""
    name = clean_text(name, field="name", noun="key name", max_length=100, single_line=True)
    key = key or f"mt_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(user=user, name=name, prefix=key[:8], key_hash=api_key_digest(key))
    return api_key, key


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


API_KEY_TOUCH_INTERVAL = timedelta(minutes=1)


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key's row (with its user) or None. ``last_used_at`` is written at most once a
    minute per key, so authenticated reads don't each cost a write."""
    api_key = (
        ApiKey.objects.select_related("user__profile")
        .filter(key_hash=api_key_digest(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_key is not None:
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= API_KEY_TOUCH_INTERVAL:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
    return api_key


# --- Suspension (staff) ------------------------------------------------------------------------


def user_active_set(*, user: User, active: bool) -> bool:
    """Deactivate (suspend) or reactivate an account; True when that changed it. Deactivation is the
    one rule that hides an account: ``User.save`` ends its sessions (refresh tokens revoked, sockets
    closed), authentication refuses it, and every read filters inactive users out. Reactivation
    deletes nothing to undo: its api keys work again, its revoked refresh tokens stay revoked."""
    with transaction.atomic():
        locked = User.objects.select_for_update().filter(pk=user.pk).first()
        if locked is None or locked.is_active == active:
            return False
        locked.is_active = active
        locked.save(update_fields=["is_active"])
    user.is_active = active
    return True
