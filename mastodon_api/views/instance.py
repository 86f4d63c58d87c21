"""Discovery and start-up endpoints: the instance (v1 and v2), NodeInfo, custom emojis,
preferences, markers, the streaming health check, and empty lists for features this server does
not have (lists, filters, announcements, ...), which clients call at start-up."""

import re

from django.urls import reverse
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .. import discovery
from ..models import Marker
from ..oauth_server import vapid_public_key
from .base import MastodonView

TAGS = ["mastodon"]
OBJECT = openapi.Schema(type=openapi.TYPE_OBJECT)


class InstanceV2View(MastodonView):
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(operation_summary="The server (Mastodon's Instance entity)", responses={200: OBJECT})
    def get(self, request):
        thumbnail = discovery.thumbnail_url(request)
        return Response(
            {
                "domain": request.get_host(),
                "title": discovery.SOFTWARE_NAME,
                "version": discovery.VERSION,
                "source_url": request.build_absolute_uri("/"),
                "description": "A microblogging service.",
                "usage": {"users": {"active_month": discovery.usage()["active_month"]}},
                "thumbnail": {"url": thumbnail, "blurhash": None, "versions": {"@1x": thumbnail}},
                "icon": [{"src": thumbnail, "size": "400x210"}],
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": discovery.streaming_url(request), "status": None},
                    "vapid": {"public_key": vapid_public_key()},
                    "accounts": discovery.accounts_configuration(),
                    "statuses": discovery.statuses_configuration(),
                    "media_attachments": discovery.media_configuration(),
                    "polls": discovery.polls_configuration(),
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": True, "approval_required": False, "message": None, "url": None},
                "api_versions": {"mastodon": discovery.MASTODON_API_VERSION},
                "contact": {"email": discovery.contact_email(), "account": None},
                "rules": [],
            }
        )


class InstanceV1View(MastodonView):
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(operation_summary="The server (Mastodon's deprecated V1::Instance)", responses={200: OBJECT})
    def get(self, request):
        counts = discovery.usage()
        return Response(
            {
                "uri": request.get_host(),
                "title": discovery.SOFTWARE_NAME,
                "short_description": "A microblogging service.",
                "description": "A microblogging service.",
                "email": discovery.contact_email(),
                "version": discovery.VERSION,
                "urls": {"streaming_api": discovery.streaming_url(request)},
                "stats": {"user_count": counts["users"], "status_count": counts["posts"], "domain_count": 0},
                "thumbnail": discovery.thumbnail_url(request),
                "languages": ["en"],
                "registrations": True,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    "accounts": discovery.accounts_configuration(),
                    "statuses": discovery.statuses_configuration(),
                    "media_attachments": discovery.media_configuration(),
                    "polls": discovery.polls_configuration(),
                },
                "contact_account": None,
                "rules": [],
            }
        )


NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.0"


class NodeInfoLinksView(MastodonView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # Outside /api/ (Swagger documents the API, whose paths all start there).
    swagger_schema = None

    def get(self, request):
        return Response({"links": [{"rel": NODEINFO_SCHEMA, "href": request.build_absolute_uri(reverse("nodeinfo"))}]})


class NodeInfoView(MastodonView):
    """NodeInfo 2.0. The software is named as the API it serves (clients such as megalodon pick
    their protocol by this name); ``metadata`` names this server's own software."""

    authentication_classes = []
    permission_classes = [AllowAny]
    swagger_schema = None

    def get(self, request):
        counts = discovery.usage()
        response = Response(
            {
                "version": "2.0",
                "software": {"name": "mastodon", "version": discovery.MASTODON_VERSION},
                "protocols": [],
                "services": {"outbound": [], "inbound": []},
                "usage": {
                    "users": {
                        "total": counts["users"],
                        "activeMonth": counts["active_month"],
                        "activeHalfyear": counts["active_halfyear"],
                    },
                    "localPosts": counts["posts"],
                },
                "openRegistrations": True,
                "metadata": {
                    "nodeName": discovery.SOFTWARE_NAME,
                    "software": {"name": discovery.SOFTWARE_NAME, "version": discovery.SOFTWARE_VERSION},
                },
            }
        )
        response["Content-Type"] = f'application/json; profile="{NODEINFO_SCHEMA}#"'
        return response


class CustomEmojisView(MastodonView):
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(
        operation_summary="Custom emojis (none)", responses={200: openapi.Schema(type="array", items=OBJECT)}
    )
    def get(self, request):
        return Response([])


class PreferencesView(MastodonView):
    required_scopes = {"GET": ("read", "read:accounts")}
    swagger_tags = TAGS

    @swagger_auto_schema(operation_summary="The user's preferences", responses={200: OBJECT})
    def get(self, request):
        return Response(
            {
                "posting:default:visibility": "public",
                "posting:default:sensitive": False,
                "posting:default:language": None,
                "reading:expand:media": "default",
                "reading:expand:spoilers": False,
            }
        )


# --- Markers -------------------------------------------------------------------------------------


class MarkerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Marker
        fields = ("last_read_id", "version", "updated_at")
        ref_name = "MastodonMarker"


TIMELINES = tuple(Marker.Timeline.values)
ID_RE = re.compile(r"^[0-9]{1,19}$")


def markers_data(markers) -> dict:
    return {marker.timeline: MarkerSerializer(marker).data for marker in markers}


class MarkersView(MastodonView):
    required_scopes = {"GET": ("read", "read:statuses"), "POST": ("write", "write:statuses")}
    swagger_tags = TAGS

    @swagger_auto_schema(
        operation_summary="Reading positions of the timelines asked for (timeline[]=home, notifications)",
        manual_parameters=[
            openapi.Parameter(
                "timeline[]", openapi.IN_QUERY, type=openapi.TYPE_ARRAY, items=openapi.Items(type="string")
            )
        ],
        responses={200: OBJECT},
    )
    def get(self, request):
        wanted = [
            name for name in request.GET.getlist("timeline[]") + request.GET.getlist("timeline") if name in TIMELINES
        ]
        return Response(markers_data(Marker.objects.filter(user=request.user, timeline__in=wanted)))

    @swagger_auto_schema(
        operation_summary="Save reading positions: home[last_read_id], notifications[last_read_id]",
        request_body=OBJECT,
        responses={200: OBJECT, 422: "Validation failed"},
    )
    def post(self, request):
        if not hasattr(request.data, "get"):
            raise serializers.ValidationError({"timeline": ["must be an object of timelines"]})
        positions = {}
        for timeline in TIMELINES:
            value = request.data.get(f"{timeline}[last_read_id]")
            nested = request.data.get(timeline)
            if value is None and isinstance(nested, dict):
                value = nested.get("last_read_id")
            if value is None:
                continue
            if not ID_RE.match(str(value)):
                raise serializers.ValidationError({"last_read_id": ["is invalid"]})
            positions[timeline] = str(value)
        markers = [
            discovery.marker_save(user=request.user, timeline=timeline, last_read_id=last_read_id)
            for timeline, last_read_id in positions.items()
        ]
        return Response(markers_data(markers))


# --- Features this server does not have: empty lists ----------------------------------------------


def empty_list_view(name: str, scopes: tuple[str, ...] | None, *, summary: str) -> type[MastodonView]:
    """A view answering ``[]`` with Mastodon's scope check (``None``: public)."""

    def get(self, request):
        return Response([])

    get = swagger_auto_schema(operation_summary=summary, responses={200: openapi.Schema(type="array", items=OBJECT)})(
        get
    )
    attributes = {"get": get, "swagger_tags": TAGS, "__doc__": summary, "__module__": __name__}
    if scopes is None:
        attributes["public_methods"] = ("GET",)
    else:
        attributes["required_scopes"] = {"GET": scopes}
    return type(name, (MastodonView,), attributes)


ListsView = empty_list_view("ListsView", ("read", "read:lists"), summary="Lists (none here)")
FiltersView = empty_list_view("FiltersView", ("read", "read:filters"), summary="Filters, v1 (none here)")
FiltersV2View = empty_list_view("FiltersV2View", ("read", "read:filters"), summary="Filters, v2 (none here)")
AnnouncementsView = empty_list_view("AnnouncementsView", ("read",), summary="Announcements (none here)")
ConversationsView = empty_list_view(
    "ConversationsView", ("read", "read:statuses"), summary="Direct conversations (none here)"
)
SuggestionsView = empty_list_view("SuggestionsView", ("read", "read:accounts"), summary="Follow suggestions (none)")
SuggestionsV2View = empty_list_view(
    "SuggestionsV2View", ("read", "read:accounts"), summary="Follow suggestions, v2 (none)"
)
FollowedTagsView = empty_list_view("FollowedTagsView", ("read", "read:follows"), summary="Followed hashtags (none)")
DomainBlocksView = empty_list_view(
    "DomainBlocksView", ("read", "read:blocks", "follow"), summary="Blocked domains (none: no federation)"
)
EndorsementsView = empty_list_view(
    "EndorsementsView", ("read", "read:accounts"), summary="Featured accounts (none here)"
)
FeaturedTagsView = empty_list_view(
    "FeaturedTagsView", ("read", "read:accounts"), summary="Featured hashtags (none here)"
)
TrendingStatusesView = empty_list_view("TrendingStatusesView", None, summary="Trending statuses (none)")
TrendingLinksView = empty_list_view("TrendingLinksView", None, summary="Trending links (none)")
InstanceRulesView = empty_list_view("InstanceRulesView", None, summary="The server's rules (none)")
InstancePeersView = empty_list_view("InstancePeersView", None, summary="Federated domains (none: no federation)")
InstanceActivityView = empty_list_view("InstanceActivityView", None, summary="Weekly activity (not published)")


class TranslationLanguagesView(MastodonView):
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(operation_summary="Translation languages (no translation here)", responses={200: OBJECT})
    def get(self, request):
        return Response({})
