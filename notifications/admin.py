"""Admin for notifications: filter by type and read state, search by recipient or actor."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "recipient", "type", "actor", "post", "is_read", "created_at", "emailed_at")
    list_filter = ("type", "is_read")
    search_fields = ("recipient__username", "actor__username")
    list_select_related = ("recipient", "actor", "post")
    raw_id_fields = ("recipient", "actor", "post", "conversation", "message")
    readonly_fields = ("dedupe_key", "created_at", "emailed_at")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
