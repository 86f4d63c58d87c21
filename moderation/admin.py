"""The staff side of moderation: the report queue and its actions, suspension on the user admin,
audit-logged post deletion, and the audit log itself (read-only)."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from posts.admin import PostAdmin
from posts.models import Post
from users.admin import UserAdmin
from users.models import User

from . import services
from .models import AuditLogEntry, Report
from .selectors import report_list_queued

USER_POSTS_SHOWN = 20


def _post_link(post_id: int) -> str:
    return reverse("admin:posts_post_change", args=[post_id])


def _user_link(user) -> str:
    return format_html('<a href="{}">{}</a>', reverse("admin:users_user_change", args=[user.pk]), user)


class ReadOnlyObjectMixin:
    """Object pages are for reading: staff act through the list's actions, which log what they do."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The list (obj None) keeps the model's change permission, so its actions are offered.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Report)
class ReportAdmin(ReadOnlyObjectMixin, admin.ModelAdmin):
    list_display = ("id", "status", "user", "reason", "reporter", "posts_total", "created_at", "resolved_at")
    list_display_links = ("id", "status")
    list_filter = ("status", "reason", "created_at")
    search_fields = ("user__username", "reporter__username", "comment")
    actions = ["resolve_with_note", "suspend_reported_users", "unsuspend_reported_users", "delete_reported_posts"]
    fields = (
        "status",
        "reported_user",
        "reporter",
        "reason",
        "comment",
        "reported_posts",
        "user_posts",
        "created_at",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    )
    readonly_fields = fields

    def get_actions(self, request):
        # Reports are resolved, not deleted (they go with an account deleted for good).
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        # Open reports first, then newest first; the list's post counts come with the page.
        return report_list_queued().annotate(posts_total=Count("posts"))

    @admin.display(description="posts", ordering="posts_total")
    def posts_total(self, obj):
        return obj.posts_total

    @admin.display(description="reported user")
    def reported_user(self, obj):
        state = "" if obj.user.is_active else " (suspended)"
        return format_html("{}{}", _user_link(obj.user), state)

    @admin.display(description="reported posts")
    def reported_posts(self, obj):
        posts = list(obj.posts.order_by("-created_at", "-id"))
        return self._post_list(posts) if posts else "- (the user was reported, or the posts were deleted)"

    @admin.display(description=f"the user's latest posts (up to {USER_POSTS_SHOWN})")
    def user_posts(self, obj):
        posts = list(Post.objects.filter(author_id=obj.user_id).order_by("-created_at", "-id")[:USER_POSTS_SHOWN])
        return self._post_list(posts) if posts else "-"

    @staticmethod
    def _post_list(posts) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">post {}</a> ({}): {}</li>',
                ((_post_link(p.pk), p.pk, f"{p.created_at:%Y-%m-%d %H:%M}", p.content) for p in posts),
            ),
        )

    # --- actions --------------------------------------------------------------------------------

    @admin.action(description="Resolve selected reports with a note", permissions=["change"])
    def resolve_with_note(self, request, queryset):
        if "apply" not in request.POST:
            return TemplateResponse(
                request,
                "admin/moderation/resolve_reports.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Resolve reports",
                    "opts": self.model._meta,
                    "reports": list(queryset),
                    "action": "resolve_with_note",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        note = request.POST.get("note", "").strip()
        resolved = sum(services.report_resolve(report=report, by=request.user, note=note) for report in queryset)
        self.message_user(request, f"{resolved} report(s) resolved.", messages.SUCCESS)
        return None

    @admin.action(description="Suspend the reported users of selected reports", permissions=["change"])
    def suspend_reported_users(self, request, queryset):
        done, refused = 0, []
        for report in queryset:
            try:
                done += services.user_suspend(
                    user=report.user, by=request.user, note=f"report {report.pk}", report=report
                )
            except ValidationError as exc:
                refused.extend(exc.messages)
        self.message_user(request, f"{done} user(s) suspended.", messages.SUCCESS)
        for message in dict.fromkeys(refused):
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Unsuspend the reported users of selected reports", permissions=["change"])
    def unsuspend_reported_users(self, request, queryset):
        done = sum(
            services.user_unsuspend(user=report.user, by=request.user, note=f"report {report.pk}", report=report)
            for report in queryset
        )
        self.message_user(request, f"{done} user(s) unsuspended.", messages.SUCCESS)

    @admin.action(description="Delete the reported posts of selected reports", permissions=["change"])
    def delete_reported_posts(self, request, queryset):
        deleted = 0
        for report in queryset.prefetch_related("posts__author"):
            for post in report.posts.all():
                try:
                    services.post_delete_by_staff(post=post, by=request.user, note=f"report {report.pk}", report=report)
                except Http404:
                    continue  # deleted meanwhile
                deleted += 1
        self.message_user(request, f"{deleted} post(s) deleted.", messages.SUCCESS)


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyObjectMixin, admin.ModelAdmin):
    """Every staff action, newest first; never editable or deletable here."""

    list_display = ("created_at", "actor_username", "action", "target_user", "target", "report", "note_excerpt")
    list_filter = ("action", "created_at")
    search_fields = ("actor_username", "target_user__username", "target_description", "note")
    list_select_related = ("target_user",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_username",
        "action",
        "target_user",
        "target_post_id",
        "target_description",
        "report",
        "note",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="target")
    def target(self, obj):
        return obj.target_description or (f"post {obj.target_post_id}" if obj.target_post_id else "-")

    @admin.display(description="note")
    def note_excerpt(self, obj):
        return Truncator(obj.note).chars(80)


# --- Suspension on the user admin, audit-logged deletion on the post admin ------------------------------


admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(UserAdmin):
    """The user admin whose (de)activation is suspension: the same rule, logged, from the list's
    actions and from the user's page."""

    def save_model(self, request, obj, form, change):
        if not (change and "is_active" in form.changed_data):
            return super().save_model(request, obj, form, change)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = AuditLogEntry.Action.USER_UNSUSPENDED if obj.is_active else AuditLogEntry.Action.USER_SUSPENDED
            services.audit_record(by=request.user, action=action, user=obj, note="from the user's page")
        return None

    @admin.action(description="Suspend selected users (logged out everywhere, hidden from everyone)")
    def deactivate_users(self, request, queryset):
        count = sum(
            services.user_suspend(user=user, by=request.user, note="from the user admin")
            for user in queryset.exclude(pk=request.user.pk)
        )
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Unsuspend selected users (restored as they were)")
    def activate_users(self, request, queryset):
        count = sum(
            services.user_unsuspend(user=user, by=request.user, note="from the user admin") for user in queryset
        )
        self.message_user(request, f"{count} user(s) reactivated.", messages.SUCCESS)


admin.site.unregister(Post)


@admin.register(Post)
class ModeratedPostAdmin(PostAdmin):
    """The post admin with each post's reports, and deletions written to the audit log."""

    list_display = (*PostAdmin.list_display, "reports_total")
    fields = (*PostAdmin.fields, "report_list")
    readonly_fields = (*PostAdmin.readonly_fields, "report_list")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reports_total=Count("reports", distinct=True))

    @admin.display(description="reports", ordering="reports_total")
    def reports_total(self, obj):
        return obj.reports_total

    @admin.display(description="reports")
    def report_list(self, obj):
        reports = list(obj.reports.select_related("reporter").order_by("-created_at"))
        if not reports:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">report {}</a> ({}, {}) by {}: {}</li>',
                (
                    (
                        reverse("admin:moderation_report_change", args=[r.pk]),
                        r.pk,
                        r.get_reason_display(),
                        r.get_status_display(),
                        r.reporter,
                        Truncator(r.comment).chars(120),
                    )
                    for r in reports
                ),
            ),
        )

    def delete_model(self, request, obj):
        services.post_delete_by_staff(post=obj, by=request.user, note="from the post admin")

    def delete_queryset(self, request, queryset):
        for post in queryset.select_related("author"):
            try:
                services.post_delete_by_staff(post=post, by=request.user, note="from the post admin")
            except Http404:
                continue
