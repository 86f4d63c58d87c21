"""HTTP endpoints for posts, likes, retweets, bookmarks, pins, edit history, replies, the home feed,
trending, hashtags and search."""

from django.utils.decorators import method_decorator
from django_filters.rest_framework import DjangoFilterBackend
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from mini_twitter.api import idempotency
from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.pagination import CursorPagination, OldestFirstCursorPagination, PageNumberPagination
from mini_twitter.api.permissions import IsOwner
from mini_twitter.api.schema import CURSOR_PARAMETERS, VALIDATION_ERROR, paginated
from mini_twitter.api.serializers import DetailSerializer
from users.selectors import user_annotate_follow_flags, user_search
from users.serializers import UserSerializer

from . import feed, selectors, services, visibility
from .filters import PostFilter
from .serializers import (
    FeedItemSerializer,
    HashtagSerializer,
    PostCreateSerializer,
    PostSerializer,
    PostUpdateSerializer,
    PostVersionSerializer,
    SearchResultSerializer,
    TrendingHashtagSerializer,
    post_version_render,
)

ERROR = openapi.Response("Error", DetailSerializer)
TRUE_VALUES = ("true", "1")


class PostListPagination(CursorPagination):
    """The post list, newest first; an author's pinned posts (``?pinned=true``) most recently pinned
    first."""

    def get_ordering(self, request, queryset, view):
        if request.query_params.get("pinned", "").lower() in TRUE_VALUES:
            return ("-pinned_at", "-id")
        return super().get_ordering(request, queryset, view)


class SearchPostsPagination(CursorPagination):
    # Search results are newest first by id alone (unique: pages never tie), the order
    # ``selectors.post_search`` gives and the primary key walks backwards.
    ordering = ("-id",)


class BookmarkCursorPagination(CursorPagination):
    # Bookmark ids are unique and in the order of bookmarking: pages never tie.
    ordering = ("-bookmark_id",)


class PostViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Posts: public reads; writes by their author."""

    serializer_class = PostSerializer
    permission_classes = [IsAuthenticatedOrReadOnly, IsOwner]
    pagination_class = PostListPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = PostFilter
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["posts"]

    def get_queryset(self):
        # The all-posts list is browsed (no unlisted posts); an author's list shows all theirs.
        listing = self.action == "list" and not self.request.query_params.get("author")
        return selectors.post_list(viewer=self.request.user, listing=listing)

    def _post_response(self, post_id: int, status_code=status.HTTP_200_OK) -> Response:
        post = selectors.post_get(post_id=post_id, viewer=self.request.user)
        return Response(PostSerializer(post, context=self.get_serializer_context()).data, status=status_code)

    @swagger_auto_schema(
        operation_description=(
            "All posts the viewer may see, newest first (cursor pagination); `unlisted` posts only with `?author=`; "
            "`?pinned=true&author=<id>`: that author's pinned posts, most recently pinned first."
        ),
        responses={200: paginated(PostSerializer), 400: VALIDATION_ERROR},
    )
    def list(self, request, *args, **kwargs):
        if request.query_params.get("pinned", "").lower() in TRUE_VALUES and not request.query_params.get("author"):
            raise exceptions.ValidationError({"pinned": ["Pinned posts are listed for one author: give `author`."]})
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(responses={200: PostSerializer, 404: ERROR})
    def retrieve(self, request, id=None):
        return self._post_response(id)

    @swagger_auto_schema(
        request_body=PostCreateSerializer,
        manual_parameters=[idempotency.PARAMETER],
        responses={
            201: PostSerializer,
            400: (
                "Empty or too long content, unknown reply_to or media ids, a bad Idempotency-Key, an unknown "
                "visibility, a content warning over 100 characters."
            ),
        },
    )
    def create(self, request):
        """Create a post. A retry carrying the first attempt's `Idempotency-Key` gets the same post
        (201) and creates nothing."""
        key = idempotency.key_from(request)
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        post = services.post_create(
            author=request.user,
            content=data["content"],
            reply_to_id=data.get("reply_to"),
            media_ids=data.get("media_ids") or (),
            idempotency_key=key,
            visibility=data.get("visibility"),
            spoiler_text=data.get("spoiler_text", ""),
            sensitive=data.get("sensitive", False),
        )
        # The service returns the post loaded for its representation: no read.
        return Response(
            PostSerializer(post, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @swagger_auto_schema(
        request_body=PostUpdateSerializer,
        responses={200: PostSerializer, 400: "Bad content or content warning.", 403: ERROR, 404: ERROR},
    )
    def update(self, request, id=None):
        """Edit your post (`content` required; `spoiler_text`, `sensitive` optional). The version it
        replaces stays in the post's history."""
        return self._edit(request, id, partial=False)

    @swagger_auto_schema(
        request_body=PostUpdateSerializer,
        responses={200: PostSerializer, 400: "Bad content or content warning.", 403: ERROR, 404: ERROR},
    )
    def partial_update(self, request, id=None):
        """Edit your post: any of `content`, `spoiler_text`, `sensitive` (at least one, else 400). The
        version it replaces stays in the post's history."""
        return self._edit(request, id, partial=True)

    def _edit(self, request, id, *, partial: bool) -> Response:
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        self.check_object_permissions(request, post)  # someone else's post: 403 whatever the body
        serializer = PostUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data:
            raise exceptions.ValidationError({"content": ["Give the content, spoiler_text or sensitive to change."]})
        services.post_update(
            post=post,
            user=request.user,
            content=data.get("content"),
            spoiler_text=data.get("spoiler_text"),
            sensitive=data.get("sensitive"),
        )
        return self._post_response(post.pk)

    @swagger_auto_schema(responses={204: "Deleted.", 403: ERROR, 404: ERROR})
    def destroy(self, request, id=None):
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        self.check_object_permissions(request, post)
        services.post_delete(post=post, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def like(self, request, id=None):
        """Like a post (idempotent)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.like_create(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def unlike(self, request, id=None):
        """Remove your like (idempotent)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.like_delete(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 400: ERROR, 403: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def retweet(self, request, id=None):
        """Retweet a post (idempotent); your own posts can't be retweeted (400), nor `followers` posts
        or a protected account's (403)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.retweet_create(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def unretweet(self, request, id=None):
        """Undo your retweet (idempotent)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.retweet_delete(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 401: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def bookmark(self, request, id=None):
        """Bookmark a post (idempotent); only you see your bookmarks (`is_bookmarked`)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.bookmark_create(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 401: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def unbookmark(self, request, id=None):
        """Remove a bookmark (idempotent)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.bookmark_delete(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(PostSerializer), 400: VALIDATION_ERROR, 401: ERROR},
    )
    @action(
        detail=False,
        methods=["get"],
        permission_classes=[IsAuthenticated],
        pagination_class=BookmarkCursorPagination,
        filter_backends=[],
    )
    def bookmarks(self, request):
        """My bookmarks, most recently bookmarked first (posts I may no longer see are left out)."""
        page = self.paginate_queryset(selectors.bookmark_list(user=request.user))
        return self.get_paginated_response(PostSerializer(page, many=True, context=self.get_serializer_context()).data)

    @swagger_auto_schema(
        request_body=no_body, responses={200: PostSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR}
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def pin(self, request, id=None):
        """Pin your post to your profile (idempotent): your own posts only (403), at most 5 at a time
        (400). `?author=<id>&pinned=true` lists them."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.pin_create(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(request_body=no_body, responses={200: PostSerializer, 401: ERROR, 403: ERROR, 404: ERROR})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def unpin(self, request, id=None):
        """Unpin your post (idempotent): your own posts only (403)."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        services.pin_delete(user=request.user, post=post)
        return self._post_response(post.pk)

    @swagger_auto_schema(responses={200: PostVersionSerializer(many=True), 404: ERROR})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, id=None):
        """The versions of a post, oldest first, the current one last (one version for a post never
        edited)."""
        post = selectors.post_get(post_id=id, viewer=request.user)
        return Response([post_version_render(v, request=request) for v in selectors.post_history_list(post=post)])

    @swagger_auto_schema(manual_parameters=CURSOR_PARAMETERS, responses={200: paginated(PostSerializer), 404: ERROR})
    @action(detail=True, methods=["get"], pagination_class=OldestFirstCursorPagination, filter_backends=[])
    def replies(self, request, id=None):
        """Replies to a post, oldest first."""
        post = visibility.post_get_visible(viewer=request.user, post_id=id)
        page = self.paginate_queryset(selectors.post_list_replies(post=post, viewer=request.user))
        return self.get_paginated_response(PostSerializer(page, many=True, context=self.get_serializer_context()).data)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(FeedItemSerializer), 400: VALIDATION_ERROR, 401: ERROR},
    )
    @action(detail=False, methods=["get"], permission_classes=[IsAuthenticated], filter_backends=[])
    def feed(self, request):
        """Home timeline: posts (replies included) and retweets by the people you follow and by you,
        newest first by the time each entered the feed. A post appears once, at its newest entry;
        ``retweeted_by`` says who retweeted it. Every page after the first links back: ``previous``
        is the page of entries just newer than it (null on the first page)."""
        paginator = CursorPagination()
        size = paginator.get_page_size(request)
        raw_cursor = request.query_params.get("cursor")
        try:
            cursor = feed.Cursor.decode(raw_cursor) if raw_cursor else None
        except ValueError as exc:
            raise exceptions.ValidationError({"cursor": ["Invalid cursor."]}) from exc
        # Items are FeedItemSerializer's representation already (from cached representations).
        items, next_cursor, previous_cursor = selectors.feed_item_list(
            viewer=request.user, cursor=cursor, size=size, request=request
        )
        url = request.build_absolute_uri()
        links = {
            name: replace_query_param(url, "cursor", link.encode()) if link else None
            for name, link in (("next", next_cursor), ("previous", previous_cursor))
        }
        return Response({**links, "results": items})

    @swagger_auto_schema(responses={200: TrendingHashtagSerializer(many=True)})
    @action(detail=False, methods=["get"], permission_classes=[AllowAny], filter_backends=[], pagination_class=None)
    def trending_hashtags(self, request):
        """Top 10 hashtags by the number of posts using them in the last 24 hours, ties by name
        (cached up to 60 s)."""
        return Response(selectors.hashtag_list_trending())


@method_decorator(
    name="get",
    decorator=swagger_auto_schema(manual_parameters=CURSOR_PARAMETERS, responses={200: paginated(PostSerializer)}),
)
class HashtagPostsView(ListAPIView):
    """Posts with a hashtag (any case), newest first; an unused hashtag gives an empty list."""

    serializer_class = PostSerializer
    permission_classes = [AllowAny]
    pagination_class = CursorPagination
    filter_backends = []
    swagger_tags = ["posts"]

    def get_queryset(self):
        return selectors.post_list_by_hashtag(name=self.kwargs["name"], viewer=self.request.user)


SEARCH_TYPES = ("posts", "users", "hashtags")


class SearchView(ListAPIView):
    """Search posts (full-text, newest first, cursor-paginated), users (username or display name) or
    hashtags (by prefix, most used first), both page-numbered."""

    permission_classes = [AllowAny]
    pagination_class = PageNumberPagination
    filter_backends = []
    swagger_tags = ["search"]

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            kind = self.request.query_params.get("type", "posts") if getattr(self, "request", None) else "users"
            self._paginator = SearchPostsPagination() if kind == "posts" else self.pagination_class()
        return self._paginator

    def _params(self) -> tuple[str, str]:
        text = self.request.query_params.get("q", "").strip()
        kind = self.request.query_params.get("type", "posts")
        errors = {}
        if not text:
            errors["q"] = ["Enter something to search for."]
        elif len(text) > 200:
            errors["q"] = ["Search at most 200 characters."]
        if kind not in SEARCH_TYPES:
            errors["type"] = [f"Choose one of: {', '.join(SEARCH_TYPES)}."]
        if errors:
            raise exceptions.ValidationError(errors)
        return text, kind

    def get_serializer_class(self):
        kind = self.request.query_params.get("type", "posts") if getattr(self, "request", None) else "posts"
        return {"users": UserSerializer, "hashtags": HashtagSerializer}.get(kind, PostSerializer)

    def get_queryset(self):
        text, kind = self._params()
        if kind == "users":
            return user_search(text=text)
        if kind == "hashtags":
            return selectors.hashtag_search(text=text)
        return selectors.post_search(text=text, viewer=self.request.user)

    @swagger_auto_schema(
        manual_parameters=[
            openapi.Parameter("q", openapi.IN_QUERY, type=openapi.TYPE_STRING, required=True),
            openapi.Parameter("type", openapi.IN_QUERY, type=openapi.TYPE_STRING, enum=list(SEARCH_TYPES)),
            openapi.Parameter(
                "cursor", openapi.IN_QUERY, description="Posts: the pagination cursor value.", type=openapi.TYPE_STRING
            ),
        ],
        responses={
            200: openapi.Response(
                "A page of posts, users or hashtags, by `type` (default posts). Each result has the fields "
                "of its kind only: SearchResult is the union of the three, each field naming its type.",
                paginated(SearchResultSerializer),
            ),
            400: openapi.Response("Missing q or unknown type.", VALIDATION_ERROR.schema),
        },
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        if self.get_serializer_class() is UserSerializer:
            user_annotate_follow_flags(page, request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
