"""HTTP endpoints for the current user's notifications: the list, the unread count, marking read."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.pagination import CursorPagination
from mini_twitter.api.serializers import DetailSerializer

from . import selectors, services
from .filters import NotificationFilter
from .models import Notification
from .serializers import MarkedSerializer, NotificationSerializer, UnreadCountSerializer

ERROR = openapi.Response("Error", DetailSerializer)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """My notifications: who followed me, liked, retweeted or answered my posts, mentioned me."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = NotificationFilter
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["notifications"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list(user=self.request.user)

    @swagger_auto_schema(
        operation_description="My notifications, newest first (cursor pagination); `?unread=true` and "
        "`?type=` narrow the list (an unknown value → 400).",
        responses={400: "Bad filter value.", 401: ERROR},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(responses={200: UnreadCountSerializer, 401: ERROR})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def unread_count(self, request):
        """How many of my notifications are unread."""
        return Response({"unread_count": selectors.notification_unread_count(user_id=request.user.pk)})

    @swagger_auto_schema(request_body=no_body, responses={200: NotificationSerializer, 401: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def mark_as_read(self, request, id=None):
        """Mark one of my notifications read (again: no change); anyone else's → 404."""
        notification = selectors.notification_get(user=request.user, notification_id=id)  # 404 if not mine
        services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification, context=self.get_serializer_context()).data)

    @swagger_auto_schema(request_body=no_body, responses={200: MarkedSerializer, 401: ERROR})
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def mark_all_as_read(self, request):
        """Mark all my notifications read; ``marked`` is how many were unread."""
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
