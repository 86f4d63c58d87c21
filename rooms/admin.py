"""Admin for rooms."""

from django.contrib import admin

from .models import Participant, Room


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ("user",)
    readonly_fields = ("joined_at", "sockets", "disconnected_at", "seen_at")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("title", "host", "status", "created_at", "ended_at")
    list_filter = ("status", "created_at")
    search_fields = ("title", "host__username")
    list_select_related = ("host",)
    raw_id_fields = ("host",)
    inlines = [ParticipantInline]
