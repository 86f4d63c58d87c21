"""Admin for direct messages: read-only for staff (superusers may delete), searchable by content and
usernames."""

from django.contrib import admin

from .models import Conversation, Message, Participant


class ReadOnlyAdminMixin:
    """Private conversations are looked at, never edited, in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class ParticipantInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Participant
    fields = ("user", "joined_at", "last_read_at", "left_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "__str__", "is_group", "created_by", "created_at", "updated_at")
    list_filter = ("is_group",)
    search_fields = ("title", "memberships__user__username")
    list_select_related = ("created_by",)
    readonly_fields = ("title", "is_group", "created_by", "created_at", "updated_at", "direct_key", "last_message")
    inlines = [ParticipantInline]
    ordering = ("-updated_at", "-id")
    date_hierarchy = "updated_at"


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "conversation", "sender", "excerpt", "created_at")
    search_fields = ("content", "sender__username")
    list_select_related = ("conversation", "sender")
    readonly_fields = ("conversation", "sender", "content", "created_at")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    @admin.display(description="content")
    def excerpt(self, message: Message) -> str:
        return message.content if len(message.content) <= 80 else message.content[:80] + "…"
