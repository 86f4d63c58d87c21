"""Filters of the notification list: ``?unread=true|false`` and ``?type=``."""

import django_filters

from .models import Notification


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="true: only unread notifications; false: only read ones.",
    )
    type = django_filters.ChoiceFilter(choices=Notification.Type.choices, help_text="Only this type.")

    class Meta:
        model = Notification
        fields = ("unread", "type")

    def filter_unread(self, queryset, name, value):
        return queryset.filter(is_read=value == "false")
