"""Admin for users (search, filters, deactivation), profiles, follows and reset codes."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.utils import timezone

from .models import ApiKey, Follow, PasswordResetCode, Profile, User
from .services import api_key_create, follow_create, follow_delete


class ProfileInline(admin.StackedInline):
    # A website typed without a scheme is taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    model = Profile
    can_delete = False
    readonly_fields = ("followers_count", "following_count", "posts_count", "updated_at")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "email", "display_name", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "email", "profile__display_name")
    list_select_related = ("profile",)
    ordering = ("-date_joined",)
    actions = ["deactivate_users", "activate_users"]
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),)

    @admin.display(description="display name", ordering="profile__display_name")
    def display_name(self, obj):
        return obj.profile.display_name

    def get_inline_instances(self, request, obj=None):
        # The profile is created with the user; show it only when editing.
        return super().get_inline_instances(request, obj) if obj else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        Profile.objects.get_or_create(user=obj)

    @admin.action(description="Deactivate selected users (they can no longer log in)")
    def deactivate_users(self, request, queryset):
        count = self._set_active(queryset.exclude(pk=request.user.pk), False)
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Reactivate selected users")
    def activate_users(self, request, queryset):
        count = self._set_active(queryset, True)
        self.message_user(request, f"{count} user(s) reactivated.", messages.SUCCESS)

    @staticmethod
    def _set_active(queryset, active: bool) -> int:
        """Saved one by one (an admin selection is small) so that ``User.save`` ends a deactivated
        user's sessions and sockets, and the post_save receivers run: cached representations of
        the users' posts must follow."""
        users = list(queryset.exclude(is_active=active))
        for user in users:
            user.is_active = active
            user.save(update_fields=["is_active"])
        return len(users)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "display_name", "followers_count", "following_count", "posts_count", "updated_at")
    search_fields = ("user__username", "display_name", "bio")
    list_filter = ("email_notifications", "allow_messages_from")
    list_select_related = ("user",)
    readonly_fields = ("user", "followers_count", "following_count", "posts_count", "updated_at")


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "followee", "created_at")
    search_fields = ("follower__username", "followee__username")
    list_select_related = ("follower", "followee")
    raw_id_fields = ("follower", "followee")
    date_hierarchy = "created_at"

    # Through the services, so the followers/following counters stay exact.
    def save_model(self, request, obj, form, change):
        if change:
            return
        result = follow_create(follower=obj.follower, followee=obj.followee, ask_protected=False)
        obj.pk = result.follow.pk

    def delete_model(self, request, obj):
        follow_delete(follower=obj.follower, followee=obj.followee)

    def delete_queryset(self, request, queryset):
        for follow in queryset.select_related("follower", "followee"):
            follow_delete(follower=follow.follower, followee=follow.followee)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PasswordResetCode)
class PasswordResetCodeAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "attempts", "used_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "code_hash", "created_at", "expires_at", "attempts", "used_at")
    search_fields = ("user__username", "user__email")

    def has_add_permission(self, request):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Staff create keys here; the key is shown once, in the confirmation message."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    actions = ["revoke_keys"]

    def get_fields(self, request, obj=None):
        return (
            ("user", "name") if obj is None else ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("user", "prefix", "created_at", "last_used_at", "revoked_at")

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        api_key, key = api_key_create(user=obj.user, name=obj.name)
        obj.pk = api_key.pk
        self.message_user(
            request,
            f"The new api key is {key} — copy it now: it is not stored and can't be shown again.",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected keys")
    def revoke_keys(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)
