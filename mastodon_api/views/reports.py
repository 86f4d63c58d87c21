"""Mastodon's reports API: filing a report on an account, and some of its statuses, to staff through
``moderation``'s service, under the native endpoint's rules and throttle."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mini_twitter.api.ids import parse_id
from moderation import selectors, services
from moderation.models import MAX_COMMENT_LENGTH, MAX_REPORT_POSTS
from moderation.throttles import ReportCreateThrottle
from users.selectors import user_list_active

from ..entities.report import REASONS, report_entity
from ..entities.schemas import AccountSerializer
from .base import MastodonView
from .rendering import ERROR, list_param

TAGS = ["mastodon"]


class ReportInput(serializers.Serializer):
    """Documents the form (``status_ids[]``, ``rule_ids[]``) or JSON body Mastodon takes."""

    account_id = serializers.CharField(help_text="The reported account.")
    status_ids = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=f"Its statuses (at most {MAX_REPORT_POSTS})."
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT_LENGTH)
    category = serializers.ChoiceField(choices=list(REASONS), required=False, default="other")
    forward = serializers.BooleanField(required=False, help_text="Ignored: every account is local.")
    rule_ids = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="None is valid: there are no rules."
    )

    class Meta:
        ref_name = "MastodonReportInput"


class ReportSerializer(serializers.Serializer):
    id = serializers.CharField()
    action_taken = serializers.BooleanField(help_text="Resolved by staff.")
    action_taken_at = serializers.DateTimeField(allow_null=True)
    category = serializers.ChoiceField(choices=list(REASONS))
    comment = serializers.CharField()
    forwarded = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    status_ids = serializers.ListField(child=serializers.CharField(), allow_null=True)
    rule_ids = serializers.ListField(child=serializers.CharField(), allow_null=True)
    target_account = AccountSerializer()

    class Meta:
        ref_name = "MastodonReport"


class ReportsView(MastodonView):
    required_scopes = {"POST": ("write", "write:reports")}
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    swagger_tags = TAGS

    def get_throttles(self):
        return [*super().get_throttles(), ReportCreateThrottle()]

    @swagger_auto_schema(
        request_body=ReportInput,
        responses={200: ReportSerializer, 401: ERROR, 403: ERROR, 404: ERROR, 422: ERROR, 429: ERROR},
    )
    def post(self, request):
        """Report an account, with statuses of its that I can see (an unknown account, or a status
        that is not its or that I cannot see → 404), in a category: ``spam``, ``legal`` (illegal
        content), ``violation`` (abuse) or ``other`` (the default)."""
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"account_id": ["can't be blank"]})
        account_id = parse_id(data.get("account_id"))
        target = user_list_active().filter(pk=account_id).first() if account_id else None
        if target is None:
            raise NotFound()
        if target.pk == request.user.pk:
            raise ValidationError({"account_id": ["can't be your own account"]})
        status_ids = [parse_id(value) for value in list_param(data, "status_ids")]
        if None in status_ids:
            raise NotFound()
        if len(set(status_ids)) > MAX_REPORT_POSTS:
            raise ValidationError({"status_ids": [f"are too many (at most {MAX_REPORT_POSTS})"]})
        if list_param(data, "rule_ids"):
            raise ValidationError({"rule_ids": ["does not reference valid rules"]})
        category = data.get("category") or "other"
        if not isinstance(category, str) or category not in REASONS:
            raise ValidationError({"category": ["is not included in the list"]})
        comment = data.get("comment") or ""
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT_LENGTH:
            raise ValidationError({"comment": [f"is too long (maximum is {MAX_COMMENT_LENGTH} characters)"]})
        try:
            report = services.report_create(
                reporter=request.user,
                reason=REASONS[category],
                user_id=target.pk,
                post_ids=status_ids,
                comment=comment,
            )
        except DjangoValidationError as exc:
            # The account is known and not mine: what remains is about the statuses (not its, or not
            # ones I can see), which Mastodon does not find.
            if status_ids and {"post_ids", "user_id"} & set(getattr(exc, "message_dict", {})):
                raise NotFound() from exc
            raise
        report = selectors.report_list(reporter=request.user).get(pk=report.pk)
        return Response(report_entity(report, request=request))
