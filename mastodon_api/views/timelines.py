"""Mastodon's timelines: home (the native home feed: the same Redis timelines or database pages and
cached representations), public and hashtag (public posts, through ``posts.selectors``).

Home pagination. The feed is ordered by entries' ``(time, feed id)``, not by ids, and its statuses
are posts (status id = post id) and reblogs (status id = 2^62 + retweet id, see
:mod:`mastodon_api.entities.status`). A status id given as ``max_id``, ``min_id`` or ``since_id``
is mapped onto the feed's cursor at that status's entry (:func:`mastodon_api.entries.feed_entry_of`):
``max_id`` reads the page below it, ``min_id`` the page just above it (read upwards, answered newest
first), ``since_id`` the newest page, stopping above it. The ``Link`` header names the page's last
and first statuses."""

from django.db.models import Exists, OuterRef
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework.response import Response

from media.models import Media
from posts import feed, selectors
from posts.feed.entries import retweet_id_of
from posts.models import Post

from ..entities.schemas import StatusSerializer
from ..entities.status import Reblog, status_entities
from ..entries import feed_entry_of
from ..pagination import PageParams, page_params, paginate, with_link
from .base import MastodonView
from .rendering import ERROR, LINK_HEADER, PAGE_PARAMETERS, query_flag, statuses_of

READ_STATUSES = ("read", "read:statuses")
TAGS = ["mastodon"]
STATUSES = openapi.Response("Statuses", StatusSerializer(many=True), headers=LINK_HEADER)
FLAGS = [
    openapi.Parameter(name, openapi.IN_QUERY, type=openapi.TYPE_BOOLEAN) for name in ("local", "remote", "only_media")
]


# --- Home -------------------------------------------------------------------------------------


def home_items(viewer, params: PageParams, *, request) -> list[dict]:
    """The feed items of the page ``params`` asks for, newest first."""
    size = params.limit
    if params.min_id is not None or params.since_id is not None:
        entry = feed_entry_of(params.min_id if params.min_id is not None else params.since_id)
        cursor = feed.Cursor.before(entry) if entry is not None else None
        items, _, more_above = selectors.feed_item_list(viewer=viewer, cursor=cursor, size=size, request=request)
        if cursor is not None and params.min_id is None and more_above is not None:
            # since_id with more than a page above it: the newest page lies wholly above it.
            items, _, _ = selectors.feed_item_list(viewer=viewer, cursor=None, size=size, request=request)
        return items
    cursor = None
    if params.max_id is not None:
        entry = feed_entry_of(params.max_id)
        if entry is None:
            return []
        cursor = feed.Cursor.after(entry)
    items, _, _ = selectors.feed_item_list(viewer=viewer, cursor=cursor, size=size, request=request)
    return items


def home_statuses(items: list[dict], *, request) -> list[dict]:
    """Feed items as statuses: a retweet entry naming its retweeter is a reblog."""
    pairs = [
        (item, Reblog(retweet_id_of(item["feed_id"]), item["retweeted_by"]["id"]) if item.get("retweeted_by") else None)
        for item in items
    ]
    return status_entities(pairs, viewer=request.user, request=request)


class HomeTimelineView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    swagger_tags = TAGS

    @swagger_auto_schema(manual_parameters=PAGE_PARAMETERS, responses={200: STATUSES, 401: ERROR, 422: ERROR})
    def get(self, request):
        """The native home feed: posts and retweets (as reblogs) of the accounts I follow and mine,
        newest first by the time each entered the feed, each post once."""
        params = page_params(request)
        statuses = home_statuses(home_items(request.user, params, request=request), request=request)
        return with_link(Response(statuses), request, ids=[s["id"] for s in statuses], limit=params.limit)


# --- Public and hashtag timelines --------------------------------------------------------------


def public_only(qs):
    """Mastodon's public timelines list ``public`` posts only: the listing rule leaves out
    ``unlisted`` ones, and this the followers-only ones a follower may otherwise see."""
    return qs.filter(visibility=Post.Visibility.PUBLIC, author__profile__is_protected=False)


def _timeline_response(request, posts) -> Response:
    params = page_params(request)
    if query_flag(request, "remote"):
        return Response([])  # every account is local
    if query_flag(request, "only_media"):
        posts = posts.filter(Exists(Media.objects.filter(post_id=OuterRef("pk"))))
    page = paginate(public_only(posts), params)
    response = Response(statuses_of(page, request=request))
    return with_link(response, request, ids=[post.pk for post in page], limit=params.limit)


class PublicTimelineView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(manual_parameters=[*PAGE_PARAMETERS, *FLAGS], responses={200: STATUSES, 422: ERROR})
    def get(self, request):
        """Public posts, newest first (accounts the viewer blocks or mutes left out)."""
        return _timeline_response(request, selectors.post_list(viewer=request.user, listing=True, context="feed"))


class TagTimelineView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(manual_parameters=[*PAGE_PARAMETERS, *FLAGS], responses={200: STATUSES, 422: ERROR})
    def get(self, request, hashtag):
        """Public posts with the hashtag (any case), newest first."""
        posts = selectors.post_filter_by_hashtag(
            selectors.post_list(viewer=request.user, listing=True, context="feed"), hashtag
        )
        return _timeline_response(request, posts)
