"""Mastodon's notifications API: my notifications (the native ones, through ``notifications``'
selectors, so those from blocked, muted or suspended accounts, or about posts I may no longer see,
stay hidden), one of them, dismissing one or all, and the unread count. Direct messages'
notifications have no Mastodon type: they are never shown, counted or dismissed here."""

from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from mini_twitter.api.ids import parse_id
from notifications import selectors, services
from notifications.serializers import NotificationSerializer as NativeNotificationSerializer

from ..entities.notification import TYPES, notification_entities
from ..entities.schemas import AccountSerializer, StatusSerializer
from ..models import Marker
from ..pagination import page_params, paginate, with_link
from .base import MastodonView
from .rendering import ERROR, LINK_HEADER, PAGE_PARAMETERS, list_param

READ_NOTIFICATIONS = ("read", "read:notifications")
WRITE_NOTIFICATIONS = ("write", "write:notifications")
TAGS = ["mastodon"]
MASTODON_TYPES = sorted(set(TYPES.values()))


class NotificationSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=MASTODON_TYPES)
    group_key = serializers.CharField(help_text="`ungrouped-<id>`: notifications are not grouped.")
    created_at = serializers.DateTimeField()
    account = AccountSerializer()
    status = StatusSerializer(required=False, help_text="For mention, reblog and favourite.")

    class Meta:
        ref_name = "MastodonNotification"


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()

    class Meta:
        ref_name = "MastodonNotificationCount"


def _notifications(request):
    """My notifications of the Mastodon types ``types[]`` asks for and ``exclude_types[]`` does not
    (unknown types match nothing), from ``account_id`` when given."""
    wanted = set(list_param(request.query_params, "types")) or set(MASTODON_TYPES)
    wanted -= set(list_param(request.query_params, "exclude_types"))
    native_types = [native for native, mastodon in TYPES.items() if mastodon in wanted]
    qs = selectors.notification_list(user=request.user).filter(type__in=native_types)
    if "account_id" in request.query_params:
        qs = qs.filter(actor_id=parse_id(request.query_params["account_id"]) or 0)
    return qs


def _entities(rows, *, request) -> list[dict]:
    data = NativeNotificationSerializer(rows, many=True, context={"request": request}).data
    return notification_entities(data, viewer=request.user, request=request)


def _mine(request, id):
    """One of my notifications of a Mastodon type, or 404."""
    notification_id = parse_id(id)
    qs = selectors.notification_list(user=request.user).filter(type__in=list(TYPES))
    notification = qs.filter(pk=notification_id).first() if notification_id else None
    if notification is None:
        raise NotFound()
    return notification


FILTERS = [
    openapi.Parameter(
        f"{name}[]",
        openapi.IN_QUERY,
        type=openapi.TYPE_ARRAY,
        items=openapi.Items(type=openapi.TYPE_STRING, enum=MASTODON_TYPES),
        description=description,
    )
    for name, description in (("types", "Only these types."), ("exclude_types", "Not these types."))
] + [openapi.Parameter("account_id", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="Only from this account.")]


class NotificationsView(MastodonView):
    required_scopes = {"GET": READ_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[*PAGE_PARAMETERS, *FILTERS],
        responses={
            200: openapi.Response("Notifications", NotificationSerializer(many=True), headers=LINK_HEADER),
            401: ERROR,
            403: ERROR,
            422: ERROR,
        },
    )
    def get(self, request):
        """My notifications, newest first (``limit`` default 40, at most 80): ``follow``,
        ``follow_request``, ``favourite``, ``reblog``, ``mention`` (replies and mentions)."""
        params = page_params(request, default=40, maximum=80)
        rows = paginate(_notifications(request), params)
        response = Response(_entities(rows, request=request))
        return with_link(response, request, ids=[row.pk for row in rows], limit=params.limit)


class NotificationView(MastodonView):
    required_scopes = {"GET": READ_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: NotificationSerializer, 401: ERROR, 403: ERROR, 404: ERROR})
    def get(self, request, id):
        """One of my notifications (anyone else's, or one hidden from me → 404)."""
        entities = _entities([_mine(request, id)], request=request)
        if not entities:
            raise NotFound()
        return Response(entities[0])


class NotificationDismissView(MastodonView):
    required_scopes = {"POST": WRITE_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: openapi.Response("`{}`", openapi.Schema(type=openapi.TYPE_OBJECT)), 403: ERROR, 404: ERROR},
    )
    def post(self, request, id):
        """Dismiss (delete) one of my notifications."""
        services.notification_delete(notification=_mine(request, id))
        return Response({})


class NotificationsClearView(MastodonView):
    required_scopes = {"POST": WRITE_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: openapi.Response("`{}`", openapi.Schema(type=openapi.TYPE_OBJECT)), 403: ERROR},
    )
    def post(self, request):
        """Dismiss (delete) all my notifications (direct messages' stay: they are not shown here)."""
        services.notifications_delete_all(user=request.user, types=list(TYPES))
        return Response({})


class NotificationsUnreadCountView(MastodonView):
    required_scopes = {"GET": READ_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[
            *FILTERS,
            openapi.Parameter(
                "limit", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="Default 100, at most 1000."
            ),
        ],
        responses={200: CountSerializer, 401: ERROR, 403: ERROR},
    )
    def get(self, request):
        """How many of my notifications are unread, at most ``limit``: newer than my notifications
        marker (``/api/v1/markers``, as Mastodon counts) and not read through the native API."""
        limit = page_params(request, default=100, maximum=1000).limit
        unread = _notifications(request).filter(is_read=False)
        marker = Marker.objects.filter(user=request.user, timeline=Marker.Timeline.NOTIFICATIONS).first()
        read_up_to = parse_id(marker.last_read_id) if marker else None
        if read_up_to is not None:
            unread = unread.filter(pk__gt=read_up_to)
        return Response({"count": unread[:limit].count()})


# --- Filtering policy -----------------------------------------------------------------------------

POLICY_FIELDS = (
    "for_not_following",
    "for_not_followers",
    "for_new_accounts",
    "for_private_mentions",
    "for_limited_accounts",
)
# Nothing is filtered: every notification the native rules let through is shown, none waits as a
# request. (Blocks and mutes still apply, as in Mastodon, outside the policy.)
POLICY = {
    **dict.fromkeys(POLICY_FIELDS, "accept"),
    "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
}


class PolicySummarySerializer(serializers.Serializer):
    pending_requests_count = serializers.IntegerField()
    pending_notifications_count = serializers.IntegerField()

    class Meta:
        ref_name = "MastodonNotificationPolicySummary"


class NotificationPolicySerializer(serializers.Serializer):
    for_not_following = serializers.ChoiceField(choices=["accept", "filter", "drop"])
    for_not_followers = serializers.ChoiceField(choices=["accept", "filter", "drop"])
    for_new_accounts = serializers.ChoiceField(choices=["accept", "filter", "drop"])
    for_private_mentions = serializers.ChoiceField(choices=["accept", "filter", "drop"])
    for_limited_accounts = serializers.ChoiceField(choices=["accept", "filter", "drop"])
    summary = PolicySummarySerializer()

    class Meta:
        ref_name = "MastodonNotificationPolicy"


class NotificationPolicyInput(serializers.Serializer):
    for_not_following = serializers.ChoiceField(choices=["accept"], required=False)
    for_not_followers = serializers.ChoiceField(choices=["accept"], required=False)
    for_new_accounts = serializers.ChoiceField(choices=["accept"], required=False)
    for_private_mentions = serializers.ChoiceField(choices=["accept"], required=False)
    for_limited_accounts = serializers.ChoiceField(choices=["accept"], required=False)

    class Meta:
        ref_name = "MastodonNotificationPolicyInput"


class NotificationPolicyView(MastodonView):
    required_scopes = {"GET": READ_NOTIFICATIONS, "PATCH": WRITE_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: NotificationPolicySerializer, 401: ERROR, 403: ERROR})
    def get(self, request):
        """Mastodon 4.3's notification filtering policy: everything is accepted (no notification is
        held back as a request)."""
        return Response(POLICY)

    @swagger_auto_schema(
        request_body=NotificationPolicyInput,
        responses={200: NotificationPolicySerializer, 401: ERROR, 403: ERROR, 422: ERROR},
    )
    def patch(self, request):
        """Only ``accept`` is a policy here: ``filter`` or ``drop`` → 422."""
        NotificationPolicyInput(data=request.data).is_valid(raise_exception=True)
        return Response(POLICY)


class NotificationRequestsView(MastodonView):
    required_scopes = {"GET": READ_NOTIFICATIONS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={
            200: openapi.Response(
                "Always empty", openapi.Schema(type=openapi.TYPE_ARRAY, items=openapi.Schema(type=openapi.TYPE_OBJECT))
            ),
            401: ERROR,
            403: ERROR,
        },
    )
    def get(self, request):
        """Notifications held back by the policy, grouped by account: none ever are."""
        page_params(request)
        return Response([])
