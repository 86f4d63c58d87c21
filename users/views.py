"""HTTP endpoints for users, follows, profiles, JWT auth, logout and password reset."""

from django.db import transaction
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from mini_twitter.api.ids import ID_PATTERN
from mini_twitter.api.pagination import CursorPagination
from mini_twitter.api.schema import CURSOR_PARAMETERS, VALIDATION_ERROR, paginated
from mini_twitter.api.serializers import DetailSerializer
from mini_twitter.api.throttles import sensitive_throttles

from . import selectors, services
from .authentication import SessionJWTAuthentication, SessionTokenObtainPairSerializer
from .serializers import (
    ApiKeyCreatedSerializer,
    ApiKeyCreateSerializer,
    ApiKeySerializer,
    FollowRequestSerializer,
    MeSerializer,
    MutedUserSerializer,
    MuteInputSerializer,
    MyProfileSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    RefreshInputSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
    UserShortSerializer,
)

ERROR_RESPONSE = openapi.Response("Error", DetailSerializer)
search_param = openapi.Parameter(
    "search", openapi.IN_QUERY, description="Match on username or display name.", type=openapi.TYPE_STRING
)


class FollowCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")


# Registration tells whether a username or an email is taken: both are counted.
REGISTRATION_THROTTLES = sensitive_throttles("username", "email")


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Users: registration, public views, the current user, follows."""

    serializer_class = UserSerializer
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["users"]

    def get_permissions(self):
        if self.action in ("create", "list", "retrieve", "followers", "following"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self):
        if self.action == "create":
            return [throttle() for throttle in REGISTRATION_THROTTLES]
        return super().get_throttles()

    def get_queryset(self):
        return selectors.user_list(search=self.request.query_params.get("search"))

    def _users_response(self, users, serializer_class=UserSerializer, status_code=200):
        many = isinstance(users, list)
        selectors.user_annotate_follow_flags(users if many else [users], self.request.user)
        data = serializer_class(users, many=many, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @swagger_auto_schema(manual_parameters=[search_param])
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.user_annotate_follow_flags(page, request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @swagger_auto_schema(responses={200: UserSerializer, 404: ERROR_RESPONSE})
    def retrieve(self, request, id=None):
        return self._users_response(selectors.user_get(user_id=id))

    @swagger_auto_schema(
        request_body=RegisterSerializer,
        responses={
            201: MeSerializer,
            400: (
                "Username taken (in any case, or a look-alike of a taken one) or of mixed scripts; email "
                "invalid or taken (one message for both); weak password; a display name with control "
                "characters or line breaks."
            ),
        },
        security=[],
    )
    def create(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return self._users_response(user, MeSerializer, status.HTTP_201_CREATED)

    @swagger_auto_schema(responses={200: MeSerializer, 401: ERROR_RESPONSE})
    @action(detail=False, methods=["get"])
    def me(self, request):
        return self._users_response(selectors.user_get(user_id=request.user.pk), MeSerializer)

    @swagger_auto_schema(
        request_body=no_body,
        responses={
            201: UserSerializer,
            200: UserSerializer,
            202: openapi.Response("A protected account: the follow is requested (`follow_requested`).", UserSerializer),
            400: ERROR_RESPONSE,
            404: ERROR_RESPONSE,
        },
        operation_description=(
            "Follow a user: 201 on a new follow, 200 if already following; yourself → 400. A protected "
            "account is asked instead: 202 (also when asked already), and they get a `follow_request` "
            "notification."
        ),
    )
    @action(detail=True, methods=["post"])
    def follow(self, request, id=None):
        followee = selectors.user_get(user_id=id)
        result = services.follow_create(follower=request.user, followee=followee)
        followee = selectors.user_get(user_id=id)
        if result.requested:
            return self._users_response(followee, status_code=status.HTTP_202_ACCEPTED)
        return self._users_response(followee, status_code=201 if result.created else 200)

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: UserSerializer, 404: ERROR_RESPONSE},
        operation_description="Stop following a user, or cancel a pending request to follow them (200 also when "
        "neither).",
    )
    @action(detail=True, methods=["post"])
    def unfollow(self, request, id=None):
        followee = selectors.user_get(user_id=id)
        services.follow_delete(follower=request.user, followee=followee)
        return self._users_response(selectors.user_get(user_id=id))

    def _check_follow_list_access(self, user) -> None:
        """A protected account's followers and following are its own to see."""
        if self.request.user.pk != user.pk and selectors.user_is_protected(user=user):
            if not self.request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            raise exceptions.PermissionDenied("This account is protected.")

    def _follow_list(self, follows, attribute):
        paginator = FollowCursorPagination()
        page = paginator.paginate_queryset(follows, self.request, view=self)
        users = [getattr(follow, attribute) for follow in page]
        selectors.user_annotate_follow_flags(users, self.request.user)
        data = UserSerializer(users, many=True, context=self.get_serializer_context()).data
        return paginator.get_paginated_response(data)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(UserSerializer), 401: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    @action(detail=True, methods=["get"], pagination_class=FollowCursorPagination)
    def followers(self, request, id=None):
        """The user's followers, most recent follow first. A protected account's: for itself only (403
        for anyone else, 401 without a token)."""
        user = selectors.user_get(user_id=id)
        self._check_follow_list_access(user)
        return self._follow_list(selectors.follow_list_followers(user=user), "follower")

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(UserSerializer), 401: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE},
    )
    @action(detail=True, methods=["get"], pagination_class=FollowCursorPagination)
    def following(self, request, id=None):
        """Whom the user follows, most recent follow first. A protected account's: for itself only (403
        for anyone else, 401 without a token)."""
        user = selectors.user_get(user_id=id)
        self._check_follow_list_access(user)
        return self._follow_list(selectors.follow_list_following(user=user), "followee")

    # --- Blocks and mutes ---------------------------------------------------------------------

    @swagger_auto_schema(
        request_body=no_body,
        responses={201: UserSerializer, 200: UserSerializer, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_description=(
            "Block a user: 201 on a new block, 200 if already blocking; yourself → 400. The follows between "
            "you go, both ways. Until unblocked neither of you sees the other's posts or can follow, reply "
            "to, like, retweet, mention or message the other, or join a room the other hosts."
        ),
    )
    @action(detail=True, methods=["post"])
    def block(self, request, id=None):
        blocked = selectors.user_get(user_id=id)
        created = services.block_create(blocker=request.user, blocked=blocked)
        return self._users_response(selectors.user_get(user_id=id), status_code=201 if created else 200)

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: UserSerializer, 404: ERROR_RESPONSE},
        operation_description="Stop blocking a user (200 also when not blocking); follows are not restored.",
    )
    @action(detail=True, methods=["post"])
    def unblock(self, request, id=None):
        blocked = selectors.user_get(user_id=id)
        services.block_delete(blocker=request.user, blocked=blocked)
        return self._users_response(selectors.user_get(user_id=id))

    @swagger_auto_schema(
        request_body=MuteInputSerializer,
        responses={201: UserSerializer, 200: UserSerializer, 400: VALIDATION_ERROR, 404: ERROR_RESPONSE},
        operation_description=(
            "Mute a user: their posts and retweets leave your feed, replies and search results, and with "
            "`notifications` (default true) their actions notify you no more. `duration` (seconds, ≥ 60) "
            "ends it by itself. 201 on a new mute, 200 when a mute in force is replaced with these "
            "settings; yourself → 400. They are not told."
        ),
    )
    @action(detail=True, methods=["post"])
    def mute(self, request, id=None):
        serializer = MuteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        muted = selectors.user_get(user_id=id)
        _, created = services.mute_create(muter=request.user, muted=muted, **serializer.validated_data)
        return self._users_response(selectors.user_get(user_id=id), status_code=201 if created else 200)

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: UserSerializer, 404: ERROR_RESPONSE},
        operation_description="Stop muting a user (200 also when not muting).",
    )
    @action(detail=True, methods=["post"])
    def unmute(self, request, id=None):
        muted = selectors.user_get(user_id=id)
        services.mute_delete(muter=request.user, muted=muted)
        return self._users_response(selectors.user_get(user_id=id))

    def _relation_list(self, rows, attribute, serializer_class):
        paginator = FollowCursorPagination()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        users = []
        for row in page:
            user = getattr(row, attribute)
            user.mute = row  # the mute's settings, for MutedUserSerializer
            users.append(user)
        data = serializer_class(users, many=True, context=self.get_serializer_context()).data
        return paginator.get_paginated_response(data)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS, responses={200: paginated(UserShortSerializer), 401: ERROR_RESPONSE}
    )
    @action(detail=False, methods=["get"], pagination_class=FollowCursorPagination)
    def blocks(self, request):
        """The users I block, most recently blocked first."""
        return self._relation_list(selectors.block_list(user=request.user), "blocked", UserShortSerializer)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS, responses={200: paginated(MutedUserSerializer), 401: ERROR_RESPONSE}
    )
    @action(detail=False, methods=["get"], pagination_class=FollowCursorPagination)
    def mutes(self, request):
        """The users I mute now (ended mutes left out), most recently muted first."""
        return self._relation_list(selectors.mute_list(user=request.user), "muted", MutedUserSerializer)


class FollowRequestPagination(CursorPagination):
    ordering = ("created_at", "id")


class FollowRequestViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Pending requests to follow me (a protected account): list, approve, reject."""

    serializer_class = FollowRequestSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = FollowRequestPagination
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["users"]

    def get_queryset(self):
        return selectors.follow_request_list(target=self.request.user)

    @swagger_auto_schema(
        manual_parameters=CURSOR_PARAMETERS,
        responses={200: paginated(FollowRequestSerializer), 401: ERROR_RESPONSE},
        operation_description="Pending requests to follow me, oldest first (cursor pagination).",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: FollowRequestSerializer, 401: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_description=(
            "Approve a request to follow me: the requester follows me now (counts and feeds updated before "
            "the answer). Only mine: anyone else's or an unknown one → 404."
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        follow_request = services.follow_request_approve(target=request.user, request_id=id)
        return Response(FollowRequestSerializer(follow_request, context=self.get_serializer_context()).data)

    @swagger_auto_schema(
        request_body=no_body,
        responses={200: FollowRequestSerializer, 401: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        operation_description="Reject a request to follow me. Only mine: anyone else's or an unknown one → 404.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        follow_request = services.follow_request_reject(target=request.user, request_id=id)
        return Response(FollowRequestSerializer(follow_request, context=self.get_serializer_context()).data)


class ProfileViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Profiles; a profile shares its user's id."""

    serializer_class = ProfileSerializer
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["profiles"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return selectors.profile_list().order_by("user_id")

    def get_object(self):
        if self.lookup_url_kwarg not in self.kwargs:
            # my_profile/update_my_profile have no id in the URL: the caller's own profile.
            return selectors.profile_list().get(pk=self.request.user.pk)
        return super().get_object()

    @swagger_auto_schema(responses={200: ProfileSerializer, 404: ERROR_RESPONSE})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @swagger_auto_schema(responses={200: MyProfileSerializer, 401: ERROR_RESPONSE})
    @action(detail=False, methods=["get"])
    def my_profile(self, request):
        return Response(MyProfileSerializer(self.get_object(), context=self.get_serializer_context()).data)

    @swagger_auto_schema(
        methods=["put", "patch"],
        request_body=ProfileUpdateSerializer,
        responses={
            200: MyProfileSerializer,
            400: "Invalid field (control characters or line breaks in a name or location) or not an image.",
            413: ERROR_RESPONSE,
        },
        consumes=["application/json", "multipart/form-data"],
    )
    @action(detail=False, methods=["put", "patch"])
    def update_my_profile(self, request):
        serializer = ProfileUpdateSerializer(data=request.data, partial=request.method == "PATCH")
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            user = selectors.user_get(user_id=request.user.pk)
            services.profile_update(user=user, data=serializer.validated_data)
        return Response(MyProfileSerializer(self.get_object(), context=self.get_serializer_context()).data)


# --- JWT auth -------------------------------------------------------------------------------


class TokenObtainView(TokenObtainPairView):
    """Log in with username (any case) and password → access and refresh tokens of a new session."""

    serializer_class = SessionTokenObtainPairSerializer
    throttle_classes = sensitive_throttles("username")
    swagger_tags = ["auth"]

    @swagger_auto_schema(
        request_body=SessionTokenObtainPairSerializer,
        responses={200: TokenPairSerializer, 400: VALIDATION_ERROR, 401: ERROR_RESPONSE},
        security=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class SafeTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs):
        # Parsed once: signature, expiry, type, not blacklisted.
        refresh = self.token_class(attrs["refresh"])
        # The refresh token passes the access tokens' checks too (active user, password unchanged
        # since it was issued, session not logged out): the tokens it would mint could not be used.
        user = SessionJWTAuthentication().get_user(refresh)
        access, rotated = services.refresh_token_rotate(refresh=refresh, user=user)
        return {"access": access, "refresh": rotated}


class TokenRefreshRotateView(TokenRefreshView):
    """Exchange a refresh token for a new access and refresh token; the old refresh token is
    blacklisted, so reusing it → 401."""

    serializer_class = SafeTokenRefreshSerializer
    swagger_tags = ["auth"]

    @swagger_auto_schema(
        request_body=RefreshInputSerializer,
        responses={200: TokenPairSerializer, 400: VALIDATION_ERROR, 401: ERROR_RESPONSE},
        security=[],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    """End a login session: its refresh token is revoked, the access tokens it minted stop working
    and its sockets close (4001); other sessions of the account go on. No access token is needed:
    the refresh token is the credential."""

    permission_classes = [AllowAny]
    authentication_classes = []
    swagger_tags = ["auth"]

    def get_authenticate_header(self, request):
        # An invalid refresh token is an authentication failure: 401, not 403.
        return 'Bearer realm="api"'

    @swagger_auto_schema(
        request_body=RefreshInputSerializer,
        responses={205: "Logged out.", 400: VALIDATION_ERROR, 401: ERROR_RESPONSE},
        security=[],
    )
    def post(self, request):
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.refresh_token_revoke(token=serializer.validated_data["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordResetRequestView(APIView):
    """Ask for a 6-digit reset code by email. Always 202: the answer does not tell whether the
    address is registered."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = sensitive_throttles("email")
    swagger_tags = ["auth"]

    @swagger_auto_schema(
        request_body=PasswordResetRequestSerializer,
        responses={202: DetailSerializer, 400: "Not an email address."},
        security=[],
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response(
            {"detail": "If the address belongs to an account, a reset code has been sent to it."},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(APIView):
    """Set a new password with the emailed code; every access and refresh token of the account is
    revoked and its sockets close."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = sensitive_throttles("email")
    swagger_tags = ["auth"]

    @swagger_auto_schema(
        request_body=PasswordResetConfirmSerializer,
        responses={200: DetailSerializer, 400: "Wrong, expired or used code, or a weak password."},
        security=[],
    )
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_confirm(**serializer.validated_data)
        return Response({"detail": "Your password has been changed."})


class ApiKeyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """My api keys for the microblog front-end API (header ``api-key``)."""

    serializer_class = ApiKeySerializer
    permission_classes = [IsAuthenticated]
    lookup_value_regex = ID_PATTERN
    lookup_url_kwarg = "id"
    swagger_tags = ["api keys"]

    def get_queryset(self):
        return selectors.api_key_list(user=self.request.user)

    @swagger_auto_schema(
        operation_description="My active api keys, newest first, paginated (the keys themselves are never shown)."
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @swagger_auto_schema(
        request_body=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer, 400: "Missing or long name, or one with control characters."},
    )
    def create(self, request):
        """Create a key; the response carries the key itself, shown this once."""
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, key = services.api_key_create(user=request.user, name=serializer.validated_data["name"])
        api_key.key = key
        return Response(ApiKeyCreatedSerializer(api_key).data, status=status.HTTP_201_CREATED)

    @swagger_auto_schema(responses={204: "Revoked.", 404: ERROR_RESPONSE})
    def destroy(self, request, id=None):
        """Revoke one of my keys: it stops working at once."""
        services.api_key_revoke(api_key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
