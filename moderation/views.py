"""HTTP endpoints for reports: the ones I filed, and filing one."""

from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mini_twitter.api.pagination import CursorPagination
from mini_twitter.api.schema import VALIDATION_ERROR
from mini_twitter.api.serializers import DetailSerializer

from . import selectors, services
from .models import Report
from .serializers import ReportCreateSerializer, ReportSerializer
from .throttles import ReportCreateThrottle

ERROR = openapi.Response("Error", DetailSerializer)


class ReportViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Reports of users and posts to staff."""

    serializer_class = ReportSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = CursorPagination
    swagger_tags = ["reports"]

    def get_throttles(self):
        throttles = super().get_throttles()
        return [*throttles, ReportCreateThrottle()] if self.action == "create" else throttles

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return selectors.report_list(reporter=self.request.user)

    @swagger_auto_schema(
        operation_description="My reports, newest first (cursor pagination), with their status "
        "(`resolved` and `resolved_at` once staff dealt with them).",
        responses={401: ERROR},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(
        request_body=ReportCreateSerializer,
        responses={
            201: ReportSerializer,
            400: openapi.Response(
                "Nothing named, yourself, an unknown user, posts you can't see, posts by several authors or "
                "not by user_id, more than 20 posts, a bad reason or a comment over 1000 characters.",
                VALIDATION_ERROR.schema,
            ),
            401: ERROR,
            429: ERROR,
        },
    )
    def create(self, request):
        """Report a user, or posts by one author, to staff."""
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        report = services.report_create(
            reporter=request.user,
            reason=data["reason"],
            user_id=data.get("user_id"),
            post_ids=data.get("post_ids") or (),
            comment=data["comment"],
        )
        report = selectors.report_list(reporter=request.user).get(pk=report.pk)
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data, status.HTTP_201_CREATED)
