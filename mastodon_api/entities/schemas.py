"""The entities' shapes for Swagger (the entities are rendered by the functions of this package;
these serializers only document them)."""

from rest_framework import serializers


class FieldSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    value = serializers.CharField(allow_blank=True)
    verified_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "MastodonField"


class AccountSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="A string of digits.")
    username = serializers.CharField()
    acct = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    locked = serializers.BooleanField(help_text="A protected account: follows are requests.")
    bot = serializers.BooleanField()
    discoverable = serializers.BooleanField()
    indexable = serializers.BooleanField()
    group = serializers.BooleanField()
    created_at = serializers.DateTimeField(help_text="The day the account joined, at midnight UTC.")
    note = serializers.CharField(allow_blank=True, help_text="The bio as HTML.")
    url = serializers.URLField()
    uri = serializers.URLField()
    avatar = serializers.URLField()
    avatar_static = serializers.URLField()
    header = serializers.URLField()
    header_static = serializers.URLField()
    followers_count = serializers.IntegerField()
    following_count = serializers.IntegerField()
    statuses_count = serializers.IntegerField()
    last_status_at = serializers.DateField(allow_null=True)
    hide_collections = serializers.BooleanField()
    noindex = serializers.BooleanField()
    emojis = serializers.ListField(child=serializers.DictField())
    roles = serializers.ListField(child=serializers.DictField())
    fields = FieldSerializer(many=True)

    class Meta:
        ref_name = "MastodonAccount"


class SourceSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)
    fields = FieldSerializer(many=True)
    privacy = serializers.ChoiceField(choices=["public", "unlisted", "private", "direct"])
    sensitive = serializers.BooleanField()
    language = serializers.CharField(allow_blank=True)
    follow_requests_count = serializers.IntegerField()
    hide_collections = serializers.BooleanField()
    discoverable = serializers.BooleanField()
    indexable = serializers.BooleanField()

    class Meta:
        ref_name = "MastodonSource"


class RoleSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    color = serializers.CharField(allow_blank=True)
    permissions = serializers.CharField(allow_blank=True)
    highlighted = serializers.BooleanField()

    class Meta:
        ref_name = "MastodonRole"


class CredentialAccountSerializer(AccountSerializer):
    source = SourceSerializer()
    role = RoleSerializer()

    class Meta:
        ref_name = "MastodonCredentialAccount"


class FamiliarFollowersSerializer(serializers.Serializer):
    """One account's familiar followers: the accounts I follow that follow it."""

    id = serializers.CharField()
    accounts = AccountSerializer(many=True)

    class Meta:
        ref_name = "MastodonFamiliarFollowers"


class RelationshipSerializer(serializers.Serializer):
    id = serializers.CharField()
    following = serializers.BooleanField()
    showing_reblogs = serializers.BooleanField()
    notifying = serializers.BooleanField()
    languages = serializers.ListField(child=serializers.CharField(), allow_null=True)
    followed_by = serializers.BooleanField()
    blocking = serializers.BooleanField()
    blocked_by = serializers.BooleanField()
    muting = serializers.BooleanField()
    muting_notifications = serializers.BooleanField()
    requested = serializers.BooleanField()
    requested_by = serializers.BooleanField()
    domain_blocking = serializers.BooleanField()
    endorsed = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "MastodonRelationship"


class MediaAttachmentSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["unknown", "image", "gifv", "video", "audio"])
    url = serializers.URLField()
    preview_url = serializers.URLField()
    remote_url = serializers.URLField(allow_null=True)
    preview_remote_url = serializers.URLField(allow_null=True)
    text_url = serializers.URLField(allow_null=True)
    meta = serializers.JSONField(help_text="Sizes (`original`, `small`) and the focal point (`focus`).")
    description = serializers.CharField(allow_blank=True, allow_null=True)
    blurhash = serializers.CharField(allow_blank=True, allow_null=True)

    class Meta:
        ref_name = "MastodonMediaAttachment"


class StatusMentionSerializer(serializers.Serializer):
    id = serializers.CharField()
    username = serializers.CharField()
    url = serializers.URLField()
    acct = serializers.CharField()

    class Meta:
        ref_name = "MastodonStatusMention"


class StatusTagSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    url = serializers.URLField()

    class Meta:
        ref_name = "MastodonStatusTag"


class BaseStatusSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="A post's id, or for a reblog 2^62 + the retweet's id.")
    uri = serializers.URLField()
    url = serializers.URLField(allow_null=True)
    created_at = serializers.DateTimeField()
    account = AccountSerializer()
    content = serializers.CharField(allow_blank=True, help_text="HTML.")
    visibility = serializers.ChoiceField(choices=["public", "unlisted", "private", "direct"])
    sensitive = serializers.BooleanField()
    spoiler_text = serializers.CharField(allow_blank=True)
    media_attachments = MediaAttachmentSerializer(many=True)
    application = serializers.JSONField(allow_null=True)
    mentions = StatusMentionSerializer(many=True)
    tags = StatusTagSerializer(many=True)
    emojis = serializers.ListField(child=serializers.DictField())
    reblogs_count = serializers.IntegerField()
    favourites_count = serializers.IntegerField()
    replies_count = serializers.IntegerField()
    in_reply_to_id = serializers.CharField(allow_null=True)
    in_reply_to_account_id = serializers.CharField(allow_null=True)
    poll = serializers.JSONField(allow_null=True)
    card = serializers.JSONField(allow_null=True)
    language = serializers.CharField(allow_blank=True, allow_null=True)
    text = serializers.CharField(allow_blank=True, allow_null=True)
    edited_at = serializers.DateTimeField(allow_null=True)
    favourited = serializers.BooleanField(required=False, help_text="With a user's token only.")
    reblogged = serializers.BooleanField(required=False, help_text="With a user's token only.")
    muted = serializers.BooleanField(required=False, help_text="With a user's token only.")
    bookmarked = serializers.BooleanField(required=False, help_text="With a user's token only.")
    pinned = serializers.BooleanField(required=False, help_text="With a user's token only.")
    filtered = serializers.ListField(child=serializers.DictField(), required=False)

    class Meta:
        ref_name = "MastodonBaseStatus"


class StatusSerializer(BaseStatusSerializer):
    reblog = BaseStatusSerializer(allow_null=True, help_text="The reblogged status, for a reblog.")

    class Meta:
        ref_name = "MastodonStatus"


class ContextSerializer(serializers.Serializer):
    ancestors = StatusSerializer(many=True)
    descendants = StatusSerializer(many=True)

    class Meta:
        ref_name = "MastodonContext"


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()

    class Meta:
        ref_name = "MastodonError"
