"""Input and output serializers for users, profiles, auth and password reset."""

from rest_framework import serializers

from mini_twitter.api.serializers import AbsoluteFileUrlField, absolute_url, file_url

from .models import ApiKey, Profile, User
from .services import EMAIL_UNAVAILABLE
from .usernames import validate_username_characters


class AvatarUrlField(AbsoluteFileUrlField):
    class Meta:
        swagger_schema_fields = {"type": "string", "format": "uri", "x-nullable": True}


_AVATAR_STORAGE = Profile._meta.get_field("avatar").storage


def user_short_data(*, id: int, username: str, display_name: str | None, avatar: str | None) -> dict:
    """The short form of a user from plain values (what cached representations keep): ``avatar`` is
    the stored file's name, its URL kept relative until :func:`user_short_render`."""
    return {
        "id": id,
        "username": username,
        "display_name": display_name or "",
        "avatar": file_url(avatar, storage=_AVATAR_STORAGE),
    }


def user_short_data_of(user: User) -> dict:
    profile = user.profile
    return user_short_data(
        id=user.pk, username=user.username, display_name=profile.display_name, avatar=profile.avatar.name
    )


def user_short_render(user: dict | None, *, request=None) -> dict | None:
    """A short form from :func:`user_short_data`, its avatar's URL made absolute for ``request``."""
    if user is None:
        return None
    return {**user, "avatar": absolute_url(user["avatar"], request=request)}


class UserShortSerializer(serializers.ModelSerializer):
    """The short form of a user, embedded in posts, notifications and messages (cached
    representations build the same from plain values with :func:`user_short_data`)."""

    display_name = serializers.CharField(source="profile.display_name", read_only=True)
    avatar = AvatarUrlField(source="profile.avatar")

    class Meta:
        model = User
        fields = ("id", "username", "display_name", "avatar")
        read_only_fields = fields


class UserSerializer(UserShortSerializer):
    """The public view of a user; ``is_following``/``follows_you``/``follow_requested`` and the
    block and mute flags are set in bulk by the selector (``user_annotate_follow_flags``) and are
    false for anonymous viewers."""

    bio = serializers.CharField(source="profile.bio", read_only=True)
    location = serializers.CharField(source="profile.location", read_only=True)
    website = serializers.CharField(source="profile.website", read_only=True)
    followers_count = serializers.IntegerField(source="profile.followers_count", read_only=True)
    following_count = serializers.IntegerField(source="profile.following_count", read_only=True)
    posts_count = serializers.IntegerField(source="profile.posts_count", read_only=True)
    is_following = serializers.BooleanField(read_only=True, default=False)
    follows_you = serializers.BooleanField(read_only=True, default=False)
    is_protected = serializers.BooleanField(
        source="profile.is_protected",
        read_only=True,
        help_text="Follows are requests the user approves; their posts are for their followers only.",
    )
    follow_requested = serializers.BooleanField(
        read_only=True, default=False, help_text="The viewer's request to follow this user is pending."
    )
    # Blocks and mutes (set with the follow flags, in the same query).
    is_blocking = serializers.BooleanField(read_only=True, default=False, help_text="The viewer blocks this user.")
    is_blocked_by = serializers.BooleanField(read_only=True, default=False, help_text="This user blocks the viewer.")
    is_muting = serializers.BooleanField(read_only=True, default=False, help_text="The viewer mutes this user now.")

    class Meta(UserShortSerializer.Meta):
        fields = (
            "id",
            "username",
            "display_name",
            "bio",
            "location",
            "website",
            "avatar",
            "followers_count",
            "following_count",
            "posts_count",
            "date_joined",
            "is_following",
            "follows_you",
            "is_protected",
            "follow_requested",
            "is_blocking",
            "is_blocked_by",
            "is_muting",
        )
        read_only_fields = fields


class MeSerializer(UserSerializer):
    """The current user: the public view plus the email address."""

    class Meta(UserSerializer.Meta):
        fields = (*UserSerializer.Meta.fields, "email")
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=150,
        validators=[validate_username_characters],
        help_text=(
            "Letters, digits and @/./+/-/_, stored NFKC-normalised. The letters must be of one script "
            "(Latin may be combined with Chinese, Japanese or Korean): a mixed-script name → 400. A name "
            "that is the same as an existing one in another case or a look-alike of it (Cyrillic `а` for "
            "Latin `a`, `rn` for `m`, `0` for `o`) is taken → 400."
        ),
    )
    email = serializers.EmailField(max_length=254, error_messages={"invalid": EMAIL_UNAVAILABLE})
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class ProfileSerializer(serializers.ModelSerializer):
    """A profile; its ``id`` is its user's id."""

    id = serializers.IntegerField(source="user_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    # Not the model's URLField: an unset website is "", which is no URI.
    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    avatar = AvatarUrlField()

    class Meta:
        model = Profile
        fields = (
            "id",
            "username",
            "display_name",
            "bio",
            "location",
            "website",
            "avatar",
            "followers_count",
            "following_count",
            "posts_count",
            "is_protected",
            "updated_at",
        )
        read_only_fields = fields


class MyProfileSerializer(ProfileSerializer):
    """My own profile, with my settings."""

    class Meta(ProfileSerializer.Meta):
        fields = (*ProfileSerializer.Meta.fields, "email_notifications", "allow_messages_from")
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    bio = serializers.CharField(max_length=160, required=False, allow_blank=True)
    location = serializers.CharField(max_length=100, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    avatar = serializers.FileField(
        required=False,
        allow_null=True,
        allow_empty_file=False,
        help_text="JPEG, PNG, GIF or WebP image (multipart); null removes the avatar.",
    )
    email_notifications = serializers.BooleanField(required=False)
    allow_messages_from = serializers.ChoiceField(choices=Profile.MessagesFrom.choices, required=False)
    is_protected = serializers.BooleanField(
        required=False,
        help_text=(
            "Protect the account: follows become requests to approve, posts are for followers only. "
            "Turning it off approves every pending request; turning it on keeps existing followers."
        ),
    )


class FollowRequestSerializer(serializers.Serializer):
    """A pending request to follow me: ``user`` is who asked."""

    id = serializers.IntegerField(read_only=True)
    user = UserShortSerializer(source="requester", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordResetRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    code = serializers.RegexField(r"^\d{6}$", max_length=6, error_messages={"invalid": "Enter the 6-digit code."})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class ApiKeySerializer(serializers.ModelSerializer):
    """An api key of the microblog front-end API, without the key itself."""

    class Meta:
        model = ApiKey
        fields = ("id", "name", "prefix", "created_at", "last_used_at")
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    """A new api key: ``key`` is shown this once and never again."""

    key = serializers.CharField(read_only=True)

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key")
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


# --- Blocks and mutes -------------------------------------------------------------------------


class MutedUserSerializer(UserShortSerializer):
    """A user I mute: the short form with the mute's settings."""

    mute_expires_at = serializers.DateTimeField(
        source="mute.expires_at", read_only=True, allow_null=True, help_text="When the mute ends; null: never."
    )
    mute_notifications = serializers.BooleanField(
        source="mute.notifications", read_only=True, help_text="Their actions do not notify me."
    )

    class Meta(UserShortSerializer.Meta):
        fields = (*UserShortSerializer.Meta.fields, "mute_expires_at", "mute_notifications")
        read_only_fields = fields


class MuteInputSerializer(serializers.Serializer):
    notifications = serializers.BooleanField(
        required=False, default=True, help_text="Also stop their notifications to me (default true)."
    )
    duration = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=60,
        max_value=10 * 365 * 24 * 3600,
        help_text="Seconds the mute lasts (at least 60); absent or null: until unmuted.",
    )
