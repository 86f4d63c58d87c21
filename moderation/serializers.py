"""Input and output serializers for reports."""

from rest_framework import serializers

from mini_twitter.api.ids import IdField
from users.serializers import UserShortSerializer

from .models import MAX_COMMENT_LENGTH, MAX_REPORT_POSTS, Report


class ReportSerializer(serializers.ModelSerializer):
    user = UserShortSerializer(read_only=True)
    posts = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Report
        fields = ("id", "user", "posts", "reason", "comment", "status", "created_at", "resolved_at")
        read_only_fields = fields


class ReportCreateSerializer(serializers.Serializer):
    user_id = IdField(required=False, help_text="The reported user; implied by post_ids, and must match them.")
    post_ids = serializers.ListField(
        child=IdField(),
        required=False,
        max_length=MAX_REPORT_POSTS,
        help_text=f"Posts (at most {MAX_REPORT_POSTS}), all by one author, that you can see.",
    )
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT_LENGTH, default="")
