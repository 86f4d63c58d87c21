"""Mastodon's search (``/api/v2/search``), trending tags and a tag's page, through ``posts``' and
``users``' selectors: the native full-text post search under the visibility rule (context
``search``: blocked and muted accounts left out), the user and hashtag searches, the native trending
hashtags. Every account is local: ``resolve`` finds this site's own account and status URLs only."""

import re
from urllib.parse import urlencode, urlparse

from django.db.models import Q
from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework import exceptions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from mini_twitter.api.ids import parse_id
from posts import selectors as post_selectors
from posts.models import Hashtag
from posts.parsing import HASHTAG_MAX_LENGTH
from users import selectors as user_selectors
from users.selectors import relationship_exclude_q

from ..entities.account import account_entities
from ..entities.schemas import AccountSerializer, StatusSerializer
from ..entities.tag import tag_entities
from ..pagination import page_offset, page_params
from .base import MastodonView
from .rendering import ERROR, query_flag, statuses_of

TAGS = ["mastodon"]
SEARCH_TYPES = ("accounts", "statuses", "hashtags")
# A status's public URL (``/@name/<id>``) or ActivityPub id (``/users/name/statuses/<id>``), an
# account's (``/@name``, ``/users/name``); see :mod:`mastodon_api.entities.common`.
STATUS_PATH = re.compile(r"^/(?:@(?P<a>[^/]+)|users/(?P<b>[^/]+)/statuses)/(?P<id>[0-9]+)/?$")
ACCOUNT_PATH = re.compile(r"^/(?:@|users/)(?P<name>[^/]+)/?$")
TAG_NAME = re.compile(rf"^\w{{1,{HASHTAG_MAX_LENGTH}}}$")


class TagHistorySerializer(serializers.Serializer):
    day = serializers.CharField(help_text="The day's midnight (UTC) as a Unix time.")
    uses = serializers.CharField(help_text="Posts with the tag that day (a number as a string).")
    accounts = serializers.CharField(help_text="Their authors (a number as a string).")

    class Meta:
        ref_name = "MastodonTagHistory"


class TagSerializer(serializers.Serializer):
    id = serializers.CharField(allow_blank=True, help_text='A string of digits; "" for a tag never used.')
    name = serializers.CharField()
    url = serializers.URLField()
    history = TagHistorySerializer(many=True, help_text="The last 7 days, today first.")
    following = serializers.BooleanField(required=False, help_text="With a user's token only (always false).")

    class Meta:
        ref_name = "MastodonTag"


class SearchSerializer(serializers.Serializer):
    accounts = AccountSerializer(many=True)
    statuses = StatusSerializer(many=True)
    hashtags = TagSerializer(many=True)

    class Meta:
        ref_name = "MastodonSearch"


class SignInRequired(exceptions.APIException):
    status_code = 401
    default_code = "not_authenticated"


def _resolve_local_url(text: str, *, request) -> tuple[str, object] | None:
    """``("accounts"|"statuses", entity)`` for a URL of this site naming an account or a status the
    viewer may see; None for anything else."""
    url = urlparse(text)
    if url.scheme not in ("http", "https") or url.netloc.lower() != request.get_host().lower():
        return None
    if match := STATUS_PATH.match(url.path):
        username, post_id = match["a"] or match["b"], parse_id(match["id"])
        post = (
            post_selectors.post_list(viewer=request.user).filter(pk=post_id, author__username__iexact=username).first()
            if post_id
            else None
        )
        return ("statuses", statuses_of([post], request=request)[0]) if post else None
    if match := ACCOUNT_PATH.match(url.path):
        user = user_selectors.user_list_active().filter(username__iexact=match["name"]).first()
        return ("accounts", account_entities([user], request=request)[0]) if user else None
    return None


class SearchView(MastodonView):
    required_scopes = {"GET": ("read", "read:search")}
    public_methods = ("GET",)
    user_required = False
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[
            openapi.Parameter("q", openapi.IN_QUERY, type=openapi.TYPE_STRING, required=True),
            openapi.Parameter("type", openapi.IN_QUERY, type=openapi.TYPE_STRING, enum=list(SEARCH_TYPES)),
            openapi.Parameter(
                "resolve",
                openapi.IN_QUERY,
                type=openapi.TYPE_BOOLEAN,
                description="Find this site's account and status URLs (a user's token only).",
            ),
            openapi.Parameter("following", openapi.IN_QUERY, type=openapi.TYPE_BOOLEAN),
            openapi.Parameter("account_id", openapi.IN_QUERY, type=openapi.TYPE_STRING),
            openapi.Parameter("max_id", openapi.IN_QUERY, type=openapi.TYPE_STRING),
            openapi.Parameter("min_id", openapi.IN_QUERY, type=openapi.TYPE_STRING),
            openapi.Parameter("limit", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="Per type: 20, ≤ 40."),
            openapi.Parameter(
                "offset", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="With `type`; a user's token only."
            ),
        ],
        responses={200: SearchSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 422: ERROR},
    )
    def get(self, request):
        """Accounts (username or display name; ``@name`` and ``name@this-host`` too; blocked and
        muted ones left out, except the exact username), statuses (full text; with a user's token
        only, as Mastodon) and hashtags (by prefix)."""
        text = request.query_params.get("q", "").strip()[:200]
        if not text:
            raise exceptions.ParseError("param is missing or the value is empty: q")
        viewer = request.user
        if not viewer.is_authenticated:
            if request.query_params.get("offset"):
                raise SignInRequired("Search queries pagination is not supported without authentication")
            if query_flag(request, "resolve"):
                raise SignInRequired(
                    "Search queries that resolve remote resources are not supported without authentication"
                )
        params = page_params(request)
        kind = request.query_params.get("type") or None
        wanted = {kind} if kind else set(SEARCH_TYPES)
        offset = page_offset(request) if kind else 0
        window = slice(offset, offset + params.limit)
        results: dict[str, list] = {"accounts": [], "statuses": [], "hashtags": []}
        if query_flag(request, "resolve") and re.match(r"^https?://", text):
            found = _resolve_local_url(text, request=request)
            if found and found[0] in wanted and offset == 0:
                results[found[0]] = [found[1]]
            return Response(results)
        if "accounts" in wanted and not text.startswith("#"):
            username, _, domain = text.lstrip("@").partition("@")
            if username and (not domain or domain.lower() == request.get_host().split(":")[0].lower()):
                # The exact username is found whatever the relationship, as Mastodon (and
                # /api/v1/accounts/lookup) find it: clients unblock and unmute by name through it.
                users = user_selectors.user_search(text=username).filter(
                    Q(username__iexact=username) | relationship_exclude_q(viewer, field="id", mutes=True)
                )
                if query_flag(request, "following") and viewer.is_authenticated:
                    users = users.filter(follower_set__follower=viewer)
                results["accounts"] = account_entities(list(users[window]), request=request)
        if "statuses" in wanted and viewer.is_authenticated:
            posts = post_selectors.post_search(text=text, viewer=viewer)
            if "account_id" in request.query_params:
                posts = posts.filter(author_id=parse_id(request.query_params["account_id"]) or 0)
            if params.max_id is not None:
                posts = posts.filter(pk__lt=params.max_id)
            if params.min_id is not None:
                posts = posts.filter(pk__gt=params.min_id)
            results["statuses"] = statuses_of(list(posts[window]), request=request)
        if "hashtags" in wanted:
            hashtags = list(post_selectors.hashtag_search(text=text)[window])
            results["hashtags"] = tag_entities(hashtags, request=request)
        return Response(results)


def _offset_links(request, *, offset: int, limit: int, count: int) -> str | None:
    """Mastodon's ``Link`` for offset pages: ``next`` when the page is full, ``prev`` after the first."""
    kept = [(k, v) for k, values in request.query_params.lists() if k != "offset" for v in values]
    base = request.build_absolute_uri(request.path) + "?"
    links = []
    if count >= limit:
        links.append(f'<{base + urlencode([*kept, ("offset", offset + limit)])}>; rel="next"')
    if offset > 0:
        links.append(f'<{base + urlencode([*kept, ("offset", max(0, offset - limit))])}>; rel="prev"')
    return ", ".join(links) or None


class TrendingTagsView(MastodonView):
    public_methods = ("GET",)
    user_required = False
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[
            openapi.Parameter("limit", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="10, ≤ 20."),
            openapi.Parameter("offset", openapi.IN_QUERY, type=openapi.TYPE_INTEGER),
        ],
        responses={200: openapi.Response("Tags", TagSerializer(many=True))},
    )
    def get(self, request):
        """The native trending hashtags (most used in ``public`` posts over the last 24 hours, cached
        up to a minute), with their week's history."""
        limit = page_params(request, default=10, maximum=20).limit
        offset = page_offset(request)
        names = [row["name"] for row in post_selectors.hashtag_list_trending()][offset : offset + limit]
        found = post_selectors.hashtag_list_by_names(names=names)
        response = Response(tag_entities([found[name] for name in names if name in found], request=request))
        link = _offset_links(request, offset=offset, limit=limit, count=len(names))
        if link:
            response["Link"] = link
        return response


class TagView(MastodonView):
    public_methods = ("GET",)
    user_required = False
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: TagSerializer, 404: ERROR})
    def get(self, request, name):
        """A hashtag (any case) with its week's history; one never used has the id ``""`` and no
        uses. A name that is no hashtag → 404."""
        if not TAG_NAME.match(name):
            raise NotFound()
        hashtag = post_selectors.hashtag_list_by_names(names=[name]).get(name.lower())
        return Response(tag_entities([hashtag or Hashtag(name=name)], request=request)[0])
