"""Writes for reports and for staff moderation; every staff action adds an audit log entry in the
transaction that does it."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from posts.models import Post
from posts.services import post_delete
from posts.visibility import post_list_visible
from users.models import User
from users.selectors import user_list_active
from users.services import user_active_set

from .models import MAX_REPORT_POSTS, AuditLogEntry, Report

Action = AuditLogEntry.Action


def report_create(
    *, reporter: User, reason: str, user_id: int | None = None, post_ids: Iterable[int] = (), comment: str = ""
) -> Report:
    """File a report on a user, or on posts by one author (then the user is their author). Posts the
    reporter may not see are treated as nonexistent (400), as are unknown or suspended users."""
    post_ids = sorted(set(post_ids))
    if not post_ids and user_id is None:
        raise ValidationError({"non_field_errors": ["Name a user or posts to report."]})
    if len(post_ids) > MAX_REPORT_POSTS:
        raise ValidationError({"post_ids": [f"At most {MAX_REPORT_POSTS} posts per report."]})
    posts: list[Post] = []
    if post_ids:
        posts = list(post_list_visible(reporter).filter(pk__in=post_ids).only("id", "author_id"))
        if len(posts) != len(post_ids):
            missing = sorted(set(post_ids) - {p.pk for p in posts})
            raise ValidationError({"post_ids": [f"No such post: {missing[0]}."]})
        authors = {p.author_id for p in posts}
        if len(authors) > 1:
            raise ValidationError({"post_ids": ["The posts of one report must all be by one author."]})
        author_id = authors.pop()
        if user_id is not None and user_id != author_id:
            raise ValidationError({"user_id": ["The posts are not by this user."]})
        user_id = author_id
    if user_id == reporter.pk:
        raise ValidationError({"user_id": ["You can't report yourself."]})
    user = user_list_active().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"user_id": ["No such user."]})
    with transaction.atomic():
        report = Report.objects.create(reporter=reporter, user=user, reason=reason, comment=comment)
        if posts:
            report.posts.set(posts)
    return report


def audit_record(
    *, by: User, action: str, report: Report | None = None, user: User | None = None, note: str = "", **kw
) -> AuditLogEntry:
    """Add an entry to the audit log (inside the caller's transaction, with the change it records)."""
    return AuditLogEntry.objects.create(
        actor=by, actor_username=by.get_username(), action=action, report=report, target_user=user, note=note, **kw
    )


def report_resolve(*, report: Report, by: User, note: str = "") -> bool:
    """Mark an open report resolved with the staff's note; False when it already was."""
    with transaction.atomic():
        updated = Report.objects.filter(pk=report.pk, status=Report.Status.OPEN).update(
            status=Report.Status.RESOLVED, resolved_at=timezone.now(), resolved_by=by, resolution_note=note
        )
        if not updated:
            return False
        audit_record(by=by, action=Action.REPORT_RESOLVED, report=report, user=report.user, note=note)
    report.refresh_from_db()
    return True


def user_suspend(*, user: User, by: User, note: str = "", report: Report | None = None) -> bool:
    """Suspend an account at once everywhere (see ``users.services.user_active_set``); False when it
    already was suspended. Staff can't suspend themselves."""
    if user.pk == by.pk:
        raise ValidationError("You can't suspend your own account.")
    with transaction.atomic():
        changed = user_active_set(user=user, active=False)
        if changed:
            audit_record(by=by, action=Action.USER_SUSPENDED, report=report, user=user, note=note)
    return changed


def user_unsuspend(*, user: User, by: User, note: str = "", report: Report | None = None) -> bool:
    """Restore a suspended account (nothing of it was deleted); False when it was not suspended."""
    with transaction.atomic():
        changed = user_active_set(user=user, active=True)
        if changed:
            audit_record(by=by, action=Action.USER_UNSUSPENDED, report=report, user=user, note=note)
    return changed


def post_delete_by_staff(*, post: Post, by: User, note: str = "", report: Report | None = None) -> None:
    """Delete a post as its author would (counters, timelines, caches, files follow), logged."""
    post_id, author = post.pk, post.author
    description = f"post {post_id} by @{author.username}: {post.content[:200]}"
    with transaction.atomic():
        # On the author's behalf: the service holds the author rule, staff stand in for them here.
        post_delete(post=post, user=author)
        audit_record(
            by=by,
            action=Action.POST_DELETED,
            report=report,
            user=author,
            note=note,
            target_post_id=post_id,
            target_description=description,
        )
