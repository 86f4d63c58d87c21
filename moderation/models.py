"""Reports filed by users and the append-only log of what staff did about them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_REPORT_POSTS = 20
MAX_COMMENT_LENGTH = 1000


class Report(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", "Spam"
        ABUSE = "abuse", "Abuse"
        ILLEGAL = "illegal", "Illegal"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    # Indexed by (reporter, -created_at) below: "my reports".
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_filed", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports_received",
        verbose_name="reported user",
    )
    # A post deleted later leaves the report (and the rest of its posts).
    posts = models.ManyToManyField("posts.Post", blank=True, related_name="reports")
    reason = models.CharField(max_length=16, choices=Reason.choices)
    comment = models.TextField(max_length=MAX_COMMENT_LENGTH, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["reporter", "-created_at", "-id"], name="moderation_report_reporter_idx"),
            # The staff queue: open reports first, newest first.
            models.Index(fields=["status", "-created_at"], name="moderation_report_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"report {self.pk} on {self.user_id} ({self.reason})"


class AuditLogEntry(models.Model):
    """One staff action. Rows are only ever added: the admin shows them read-only, and ``save``
    refuses to change a stored row."""

    class Action(models.TextChoices):
        REPORT_RESOLVED = "report_resolved", "Resolved a report"
        USER_SUSPENDED = "user_suspended", "Suspended a user"
        USER_UNSUSPENDED = "user_unsuspended", "Unsuspended a user"
        POST_DELETED = "post_deleted", "Deleted a post"

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="staff user"
    )
    # The name too, so that the entry still says who acted after the account is gone.
    actor_username = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A deleted post is gone: its id and a description of it stay here.
    target_post_id = models.BigIntegerField(null=True, blank=True)
    target_description = models.CharField(max_length=300, blank=True)
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.actor_username}: {self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit log entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit log entries are never deleted.")
