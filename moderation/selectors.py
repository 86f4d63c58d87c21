"""Reads for reports, with what their serializers and the admin need already loaded."""

from django.db.models import Case, Prefetch, QuerySet, Value, When

from posts.models import Post

from .models import Report


def report_list(*, reporter) -> QuerySet[Report]:
    """The reporter's reports (ordering is the pagination's: newest first); the reported user's
    short form and the post ids in two queries per page."""
    return (
        Report.objects.filter(reporter=reporter)
        .select_related("user__profile")
        .prefetch_related(Prefetch("posts", queryset=Post.objects.only("id").order_by("id")))
    )


def report_list_queued() -> QuerySet[Report]:
    """The staff queue: open reports first, then newest first."""
    open_first = Case(When(status=Report.Status.OPEN, then=Value(0)), default=Value(1))
    return Report.objects.select_related("reporter", "user").order_by(open_first, "-created_at", "-id")
