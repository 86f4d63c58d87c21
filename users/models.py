"""Accounts, profiles, follows and password-reset codes."""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from mini_twitter.api.text import validate_single_line

from .revocation import user_sessions_end_all
from .signals import user_activity_changed
from .usernames import USERNAME_TAKEN, UsernameValidator, username_skeleton, validate_username_scripts


class UserManager(DjangoUserManager):
    def get_by_natural_key(self, username):
        # Usernames are unique case-insensitively and stored NFKC-normalised, so logging in ignores
        # case and compatibility forms (a full-width spelling) too, on every login path.
        return self.get(username__iexact=self.model.normalize_username(username))

    def _create_user(self, username, email, password, **extra_fields):
        # Every user has a profile, whichever path created them (API, createsuperuser, shell).
        with transaction.atomic():
            user = super()._create_user(username, email, password, **extra_fields)
            Profile.objects.create(user=user)
        return user


class User(AbstractUser):
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text=(
            "150 characters or fewer: letters, digits and @/./+/-/_ only, the letters of one script "
            "(Latin may be combined with Chinese, Japanese or Korean); no look-alike of an existing username."
        ),
        validators=[UsernameValidator()],
        error_messages={"unique": USERNAME_TAKEN},
    )
    email = models.EmailField("email address")
    # Derived from ``username`` whenever it changes (see ``save``); its unique constraint refuses a
    # name that looks like an existing one, even from two registrations at the same instant.
    username_skeleton = models.TextField(editable=False)
    # {session id: when it ended (epoch seconds)} for sessions logged out within an access token's
    # lifetime; read from the row authentication loads anyway (``users.authentication``).
    revoked_sessions = models.JSONField(default=dict, blank=True, editable=False)

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="users_user_email_ci_unique"),
            models.UniqueConstraint(fields=["username_skeleton"], name="users_user_username_skeleton_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_username = instance.__dict__.get("username")
        instance._saved_is_active = instance.__dict__.get("is_active")
        return instance

    def clean(self):
        super().clean()  # NFKC-normalises the username
        if not self._state.adding and self.username == getattr(self, "_saved_username", None):
            return  # a name kept as it was stays, even one registered before these rules
        errors = []
        try:
            validate_username_scripts(self.username)
        except ValidationError as exc:
            errors.extend(exc.messages)
        skeleton = username_skeleton(self.username)
        if User.objects.filter(username_skeleton=skeleton).exclude(pk=self.pk).exists():
            errors.append(USERNAME_TAKEN)
        if errors:
            raise ValidationError({"username": errors})

    def _ends_sessions(self, update_fields) -> bool:
        """Whether this save sets a new password (``set_password`` keeps the raw one in
        ``_password`` until saved) or deactivates the account: then every session ends."""
        if self._state.adding:
            return False

        def saved(field: str) -> bool:
            return update_fields is None or field in update_fields

        password_set = self._password is not None and saved("password")
        is_active = self.__dict__.get("is_active")
        deactivated = is_active is False and getattr(self, "_saved_is_active", None) is not False and saved("is_active")
        return password_set or deactivated

    def _activity_changes(self, update_fields) -> bool:
        """Whether this save deactivates or reactivates a stored account."""
        if self._state.adding or (update_fields is not None and "is_active" not in update_fields):
            return False
        is_active, saved_is_active = self.__dict__.get("is_active"), getattr(self, "_saved_is_active", None)
        return is_active is not None and saved_is_active is not None and is_active != saved_is_active

    def save(self, *args, **kwargs):
        username = self.__dict__.get("username")
        if username is not None and (self._state.adding or username != getattr(self, "_saved_username", None)):
            self.username_skeleton = username_skeleton(username)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "username" in update_fields:
                kwargs["update_fields"] = {*update_fields, "username_skeleton"}
        # Here rather than in each caller: no path that sets a password or deactivates an
        # account (including ``manage.py changepassword``) can leave its tokens and sockets live.
        ends_sessions = self._ends_sessions(kwargs.get("update_fields"))
        activity_changed = self._activity_changes(kwargs.get("update_fields"))
        if ends_sessions or activity_changed:
            with transaction.atomic():
                super().save(*args, **kwargs)
                if ends_sessions:
                    user_sessions_end_all(user_id=self.pk)
                if activity_changed:
                    # Counters of others that count this account's actions are recounted.
                    user_activity_changed.send(sender=User, user=self, active=self.is_active)
        else:
            super().save(*args, **kwargs)
        self._saved_username = username
        if "is_active" in self.__dict__:
            self._saved_is_active = self.is_active


class Profile(models.Model):
    class MessagesFrom(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        FOLLOWING = "following", "People I follow"

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="profile")
    display_name = models.CharField(max_length=50, blank=True, validators=[validate_single_line])
    bio = models.CharField(max_length=160, blank=True)
    location = models.CharField(max_length=100, blank=True, validators=[validate_single_line])
    website = models.URLField(max_length=200, blank=True)
    avatar = models.ImageField(upload_to="avatars/", blank=True, null=True)
    email_notifications = models.BooleanField(default=True)
    allow_messages_from = models.CharField(max_length=16, choices=MessagesFrom.choices, default=MessagesFrom.EVERYONE)
    # A protected account's follows are requests it approves; its posts are for its followers.
    is_protected = models.BooleanField(default=False)
    # Denormalised counters, changed only with F() expressions inside the writing transaction.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    posts_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class Follow(models.Model):
    # Both lookups are served by the composite indexes below (no single-column indexes).
    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set", db_index=False)
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="users_follow_unique"),
            models.CheckConstraint(condition=~models.Q(follower=models.F("followee")), name="users_follow_not_self"),
        ]
        indexes = [
            # "who follows X, newest first" (followers list, fan-out); the unique constraint serves
            # "whom does X follow" by its leading column.
            models.Index(fields=["followee", "-created_at"], name="users_follow_followee_idx"),
            models.Index(fields=["follower", "-created_at"], name="users_follow_follower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} -> {self.followee_id}"


class FollowRequest(models.Model):
    """A pending request to follow a protected account: approving it makes it a follow, rejecting
    or cancelling it deletes it."""

    # Served by the unique constraint's leading column.
    requester = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    target = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "target"], name="users_followrequest_unique"),
            models.CheckConstraint(
                condition=~models.Q(requester=models.F("target")), name="users_followrequest_not_self"
            ),
        ]
        indexes = [
            # The requests to follow me, oldest first.
            models.Index(fields=["target", "created_at", "id"], name="users_followrequest_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} -> {self.target_id} (requested)"


class PasswordResetCode(models.Model):
    """A one-time 6-digit code, stored only as a keyed hash."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_reset_codes")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="users_pwreset_user_idx")]

    def __str__(self) -> str:
        return f"reset code for {self.user_id}"


class ApiKey(models.Model):
    """A key for the microblog front-end API (header ``api-key``). Only a SHA-256 digest is
    stored: the key itself is shown once, when it is created."""

    # Indexed by (user, -created_at) below.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", db_index=False)
    name = models.CharField(max_length=100, validators=[validate_single_line])
    prefix = models.CharField(max_length=12, help_text="The first characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="users_apikey_user_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user_id}"


class Block(models.Model):
    """``blocker`` blocks ``blocked``: until removed, neither sees nor reaches the other."""

    # Both lookups ("whom do I block", "who blocks me") are served by the indexes below.
    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_made", db_index=False)
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocks_received", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="users_block_unique"),
            models.CheckConstraint(condition=~models.Q(blocker=models.F("blocked")), name="users_block_not_self"),
        ]
        indexes = [
            # "my blocks, most recent first"; the unique constraint serves "does A block B".
            models.Index(fields=["blocker", "-created_at"], name="users_block_blocker_idx"),
            models.Index(fields=["blocked", "blocker"], name="users_block_blocked_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class Mute(models.Model):
    """``muter`` mutes ``muted``: their posts leave the muter's feed, replies and search, and with
    ``notifications`` their actions notify the muter no more. A mute with ``expires_at`` ends by
    itself: every read compares it with the current time."""

    muter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_made", db_index=False)
    muted = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mutes_received", db_index=False)
    notifications = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["muter", "muted"], name="users_mute_unique"),
            models.CheckConstraint(condition=~models.Q(muter=models.F("muted")), name="users_mute_not_self"),
        ]
        indexes = [
            # "my mutes, most recent first"; the unique constraint serves "does A mute B"; the
            # second serves "who mutes X" (notifications to drop at creation).
            models.Index(fields=["muter", "-created_at"], name="users_mute_muter_idx"),
            models.Index(fields=["muted", "muter"], name="users_mute_muted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"
