"""Mastodon's Report from the native reports: the native reasons are Mastodon's categories
(``illegal`` is ``legal``, ``abuse`` is ``violation``), a report resolved by staff is one on which
action was taken; nothing is forwarded (every account is local) and there are no instance rules."""

from moderation.models import Report

from .account import account_entities
from .common import mastodon_datetime

# Mastodon's category → the native reason.
REASONS = {
    "spam": Report.Reason.SPAM,
    "legal": Report.Reason.ILLEGAL,
    "violation": Report.Reason.ABUSE,
    "other": Report.Reason.OTHER,
}
CATEGORIES = {reason: category for category, reason in REASONS.items()}


def report_entity(report: Report, *, request) -> dict:
    """``report`` as ``moderation.selectors.report_list`` loads it."""
    resolved = report.status == Report.Status.RESOLVED
    return {
        "id": str(report.pk),
        "action_taken": resolved,
        "action_taken_at": mastodon_datetime(report.resolved_at) if resolved else None,
        "category": CATEGORIES[report.reason],
        "comment": report.comment,
        "forwarded": False,
        "created_at": mastodon_datetime(report.created_at),
        "status_ids": [str(post.pk) for post in report.posts.all()],
        "rule_ids": None,
        "target_account": account_entities([report.user], request=request)[0],
    }
