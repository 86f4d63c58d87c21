"""Admin for posts: find, read and delete them. Posts are written through the API only; a delete
goes through ``services.post_delete``, so counters, timelines and caches follow."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from .models import Post
from .services import post_delete

REPLIES_SHOWN = 50


def _has_field(model, name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "author",
        "excerpt",
        "created_at",
        "likes_count",
        "retweets_count",
        "replies_count",
        "reply_to_id",
    )
    list_display_links = ("id", "excerpt")
    list_select_related = ("author",)
    search_fields = ("content", "author__username")
    list_filter = (*(("visibility",) if _has_field(Post, "visibility") else ()), "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    show_full_result_count = False  # a COUNT of the whole table on every page is not needed
    fields = (
        "author_link",
        "spoiler_text",
        "content",
        "sensitive",
        "created_at",
        "edited_at",
        "pinned_at",
        "reply_to_link",
        ("likes_count", "retweets_count", "replies_count"),
        "hashtag_list",
        "media_thumbnails",
        "edit_list",
        "reply_list",
    )
    readonly_fields = (
        *(field for field in fields if isinstance(field, str)),
        "likes_count",
        "retweets_count",
        "replies_count",
    )

    @admin.display(description="content")
    def excerpt(self, obj):
        return Truncator(obj.content).chars(60)

    @admin.display(description="author")
    def author_link(self, obj):
        url = reverse("admin:users_user_change", args=[obj.author_id])
        return format_html('<a href="{}">{}</a>', url, obj.author)

    @admin.display(description="reply to")
    def reply_to_link(self, obj):
        if obj.reply_to_id is None:
            return "-"
        return format_html(
            '<a href="{}">post {}</a>', reverse("admin:posts_post_change", args=[obj.reply_to_id]), obj.reply_to_id
        )

    @admin.display(description="hashtags")
    def hashtag_list(self, obj):
        return ", ".join(f"#{tag.name}" for tag in obj.hashtags.order_by("name")) or "-"

    @admin.display(description="media")
    def media_thumbnails(self, obj):
        items = [m for m in obj.media.all() if m.thumbnail]
        if not items:
            return "-"
        return format_html_join(
            " ",
            '<a href="{}"><img src="{}" style="max-height:120px;max-width:160px" alt="{}"></a>',
            ((m.file.url, m.thumbnail.url, m.description) for m in items),
        )

    @admin.display(description="earlier versions")
    def edit_list(self, obj):
        edits = list(obj.edits.order_by("created_at", "id"))
        if not edits:
            return "-"
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{}: {}{}</li>",
                (
                    (
                        f"{edit.created_at:%Y-%m-%d %H:%M:%S}",
                        f"[{edit.spoiler_text}] " if edit.spoiler_text else "",
                        edit.content,
                    )
                    for edit in edits
                ),
            ),
        )

    @admin.display(description=f"replies (first {REPLIES_SHOWN})")
    def reply_list(self, obj):
        replies = list(obj.replies.select_related("author").order_by("created_at", "id")[:REPLIES_SHOWN])
        if not replies:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> @{}: {}</li>',
                (
                    (reverse("admin:posts_post_change", args=[r.pk]), r.pk, r.author, Truncator(r.content).chars(80))
                    for r in replies
                ),
            ),
        )

    def has_add_permission(self, request):
        return False  # posts are written through the API, which validates and fans them out

    def has_change_permission(self, request, obj=None):
        return False  # staff read and delete posts; only their authors edit them

    def delete_model(self, request, obj):
        post_delete(post=obj, user=obj.author)

    def delete_queryset(self, request, queryset):
        for post in queryset.select_related("author"):
            post_delete(post=post, user=post.author)
