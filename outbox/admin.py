"""Tasks owed by committed writes and not yet done, for operators (read-only)."""

from django.contrib import admin

from .models import OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "created_at", "due_at", "worker", "attempts")
    list_filter = ("name",)
    ordering = ("due_at",)
    readonly_fields = ("name", "kwargs", "created_at", "due_at", "worker", "attempts")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
