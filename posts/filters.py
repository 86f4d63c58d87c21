"""Filters of the post list: ``?author=``, ``?hashtag=``, ``?search=``, ``?created_after=``,
``?created_before=``, ``?pinned=``."""

import django_filters

from mini_twitter.api.ids import MAX_ID

from . import selectors, visibility
from .models import Post


class PostFilter(django_filters.FilterSet):
    author = django_filters.NumberFilter(
        field_name="author_id", min_value=1, max_value=MAX_ID, help_text="Posts by this user id."
    )
    hashtag = django_filters.CharFilter(method="filter_hashtag", help_text="Posts with this hashtag (any case).")
    search = django_filters.CharFilter(method="filter_search", help_text="Full-text search in the content.")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    pinned = django_filters.BooleanFilter(
        method="filter_pinned",
        help_text="With `author`: true lists only the posts the author pinned, most recently pinned first.",
    )

    class Meta:
        model = Post
        fields = ("author", "hashtag", "search", "created_after", "created_before", "pinned")

    def filter_pinned(self, queryset, name, value):
        return queryset.filter(pinned_at__isnull=False) if value else queryset

    def filter_hashtag(self, queryset, name, value):
        return selectors.post_filter_by_hashtag(queryset, value.strip())

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # Search results also leave out the accounts the viewer mutes.
        queryset = queryset.filter(visibility.post_visible_q(getattr(self.request, "user", None), context="search"))
        return selectors.post_filter_by_text(queryset, value)
