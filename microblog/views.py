"""The microblog front-end API: api-key authentication, envelope answers, paths without a trailing
slash. Each view calls the same services as the JWT API."""

from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from media.services import media_create
from mini_twitter.api import idempotency, ids
from posts import services as post_services
from posts import visibility as post_visibility
from users import selectors as user_selectors
from users import services as user_services

from . import envelope, selectors
from .authentication import ApiKeyAuthentication
from .serializers import (
    ErrorSerializer,
    FeedQuerySerializer,
    MediaCreatedSerializer,
    MediaUploadSerializer,
    MicroblogUserSerializer,
    ResultSerializer,
    TweetCreatedSerializer,
    TweetCreateSerializer,
    TweetSerializer,
    TweetsSerializer,
    UserResultSerializer,
)

MAX_LIMIT = 200
ERRORS = {
    401: openapi.Response("Missing, unknown or revoked api key.", ErrorSerializer),
    404: openapi.Response("Unknown tweet or user.", ErrorSerializer),
}


def document(*, request_body=None, responses=None, **kwargs):
    """swagger_auto_schema with the api-key scheme and the error envelope."""
    return swagger_auto_schema(
        request_body=request_body,
        responses={**ERRORS, **(responses or {})},
        security=[{"ApiKey": []}],
        **kwargs,
    )


def parse_id(raw: str) -> int:
    value = ids.parse_id(raw)
    if value is None:
        raise exceptions.NotFound("No such id.")
    return value


class MicroblogView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    # Always the JSON envelope, also for a browser's Accept header (no browsable API here).
    renderer_classes = [JSONRenderer]
    swagger_tags = ["microblog (api-key)"]

    def get_exception_handler(self):
        return envelope.exception_handler


class TweetsView(MicroblogView):
    @document(
        query_serializer=FeedQuerySerializer,
        responses={200: TweetsSerializer, 422: ErrorSerializer},
        operation_description=(
            "The caller's feed: tweets of the people they follow and their own, most liked first, ties "
            "newest first. `offset` is a 1-based page number (as the front end's debug panel sends it; 0 "
            "is read as 1) and `limit` the page size (default 50, at most 200)."
        ),
    )
    def get(self, request):
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = max(1, query.validated_data["offset"])
        limit = min(query.validated_data["limit"], MAX_LIMIT)
        tweets = selectors.tweet_list_feed(user=request.user, page=page, limit=limit)
        return envelope.ok(tweets=TweetSerializer(tweets, many=True, context={"request": request}).data)

    @document(
        request_body=TweetCreateSerializer,
        manual_parameters=[idempotency.PARAMETER],
        responses={201: TweetCreatedSerializer, 400: ErrorSerializer, 422: ErrorSerializer},
        operation_description=(
            "Post a tweet (1..280 characters) with up to 4 of your uploaded media. A retry carrying the "
            "first attempt's `Idempotency-Key` gets the same `tweet_id` (201) and posts nothing."
        ),
    )
    def post(self, request):
        key = idempotency.key_from(request)
        serializer = TweetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = post_services.post_create(
            author=request.user,
            content=serializer.validated_data["tweet_data"],
            media_ids=serializer.validated_data.get("tweet_media_ids") or (),
            idempotency_key=key,
        )
        return envelope.ok(status.HTTP_201_CREATED, tweet_id=post.pk)


class TweetView(MicroblogView):
    @document(responses={200: ResultSerializer, 403: ErrorSerializer})
    def delete(self, request, tweet_id: str):
        """Delete one of your tweets; someone else's → 403."""
        post = post_visibility.post_get_visible(viewer=request.user, post_id=parse_id(tweet_id))
        post_services.post_delete(post=post, user=request.user)
        return envelope.ok()


class TweetLikesView(MicroblogView):
    @document(request_body=no_body, responses={200: ResultSerializer})
    def post(self, request, tweet_id: str):
        """Like a tweet (idempotent)."""
        post = post_visibility.post_get_visible(viewer=request.user, post_id=parse_id(tweet_id))
        post_services.like_create(user=request.user, post=post)
        return envelope.ok()

    @document(responses={200: ResultSerializer})
    def delete(self, request, tweet_id: str):
        """Remove your like (idempotent)."""
        post = post_visibility.post_get_visible(viewer=request.user, post_id=parse_id(tweet_id))
        post_services.like_delete(user=request.user, post=post)
        return envelope.ok()


class MediasView(MicroblogView):
    parser_classes = [MultiPartParser, FormParser]

    @document(
        request_body=MediaUploadSerializer,
        consumes=["multipart/form-data"],
        responses={201: MediaCreatedSerializer, 413: ErrorSerializer, 415: ErrorSerializer, 422: ErrorSerializer},
    )
    def post(self, request):
        """Upload an image (multipart `file`: JPEG, PNG, GIF or WebP, ≤ 10 MB) to attach to a tweet."""
        serializer = MediaUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        media = media_create(owner=request.user, upload=serializer.validated_data["file"])
        return envelope.ok(status.HTTP_201_CREATED, media_id=media.pk)


class FollowView(MicroblogView):
    @document(request_body=no_body, responses={200: ResultSerializer, 400: ErrorSerializer})
    def post(self, request, user_id: str):
        """Follow a user (idempotent); yourself → 400."""
        followee = user_selectors.user_get(user_id=parse_id(user_id))
        user_services.follow_create(follower=request.user, followee=followee)
        return envelope.ok()

    @document(responses={200: ResultSerializer})
    def delete(self, request, user_id: str):
        """Stop following a user (idempotent)."""
        followee = user_selectors.user_get(user_id=parse_id(user_id))
        user_services.follow_delete(follower=request.user, followee=followee)
        return envelope.ok()


class MeView(MicroblogView):
    @document(responses={200: UserResultSerializer})
    def get(self, request):
        """You, with your followers and the people you follow."""
        user = selectors.user_get_with_follows(user_id=request.user.pk)
        return envelope.ok(user=MicroblogUserSerializer(user).data)


class UserView(MicroblogView):
    @document(responses={200: UserResultSerializer})
    def get(self, request, user_id: str):
        """A user, with their followers and the people they follow."""
        user = selectors.user_get_with_follows(user_id=parse_id(user_id))
        return envelope.ok(user=MicroblogUserSerializer(user).data)
