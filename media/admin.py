"""Admin for uploads, with previews."""

from django.contrib import admin
from django.utils.html import format_html

from .models import Media
from .services import delete_files, media_file_names


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("id", "preview", "owner", "content_type", "width", "height", "size", "post", "created_at")
    list_filter = ("content_type", ("post", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("owner__username",)
    list_select_related = ("owner",)
    raw_id_fields = ("owner", "post")
    readonly_fields = ("preview", "file", "thumbnail", "content_type", "width", "height", "size", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description="preview")
    def preview(self, obj):
        if not obj.thumbnail:
            return "-"
        return format_html('<img src="{}" style="max-height:80px;max-width:120px" alt="">', obj.thumbnail.url)

    def has_add_permission(self, request):
        return False  # uploads go through the API, which validates them

    def delete_model(self, request, obj):
        names = media_file_names([obj])
        super().delete_model(request, obj)
        delete_files(names)

    def delete_queryset(self, request, queryset):
        names = media_file_names(queryset)
        super().delete_queryset(request, queryset)
        delete_files(names)
