"""Mastodon's accounts API: the current account, profiles, an account's statuses, followers and
following, relationships and their changes (follow, block, mute), lookup and search; blocks, mutes
and follow requests. Every read and write goes through ``users``' and ``posts``' selectors and
services, under the same rules as the native API."""

from django.db import transaction
from django.db.models import Exists, OuterRef
from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from media.models import Media
from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.ids import parse_id
from posts import selectors as post_selectors
from posts import visibility as post_visibility
from users import selectors, services
from users.models import User
from users.serializers import ProfileUpdateSerializer

from ..entities.account import (
    EVERYONE_ROLE,
    account_entities,
    account_entity,
    accounts_by_id,
    last_status_days,
    source_entity,
)
from ..entities.relationship import relationship_entities
from ..entities.schemas import (
    AccountSerializer,
    CredentialAccountSerializer,
    FamiliarFollowersSerializer,
    RelationshipSerializer,
    StatusSerializer,
)
from ..entries import account_entries
from ..pagination import page_offset, page_params, paginate, with_link
from .base import MastodonView
from .rendering import (
    ERROR,
    LINK_HEADER,
    PAGE_PARAMETERS,
    accounts_page,
    entry_statuses,
    list_param,
    query_flag,
    statuses_of,
)

READ_ACCOUNTS = ("read", "read:accounts")
WRITE_ACCOUNTS = ("write", "write:accounts")
READ_STATUSES = ("read", "read:statuses")
READ_FOLLOWS = ("read", "read:follows", "follow")
WRITE_FOLLOWS = ("write", "write:follows", "follow")
TAGS = ["mastodon"]


def _account(user_id) -> User:
    user_id = parse_id(user_id)
    if user_id is None:
        raise NotFound()
    return selectors.user_get(user_id=user_id)


def _credential_account(user: User, *, request) -> dict:
    entity = account_entity(user, request=request, last_status_at=last_status_days([user.pk]).get(user.pk))
    requests = selectors.follow_request_list(target=user).count()
    entity["source"] = source_entity(user, follow_requests_count=requests)
    entity["role"] = dict(EVERYONE_ROLE)
    return entity


def _relationship_response(viewer: User, user_id: int) -> Response:
    (relationship,) = relationship_entities(viewer, [selectors.user_get(user_id=user_id)])
    return Response(relationship)


class VerifyCredentialsView(MastodonView):
    required_scopes = {"GET": READ_ACCOUNTS}
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: CredentialAccountSerializer, 401: ERROR, 403: ERROR})
    def get(self, request):
        """The token's account with its ``source`` (the profile as written)."""
        return Response(_credential_account(selectors.user_get(user_id=request.user.pk), request=request))


class UpdateCredentialsInput(serializers.Serializer):
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    note = serializers.CharField(required=False, allow_blank=True, max_length=160)
    avatar = serializers.FileField(required=False, allow_empty_file=False)
    locked = serializers.BooleanField(required=False, help_text="Protect the account (follows become requests).")

    class Meta:
        ref_name = "MastodonUpdateCredentials"


class UpdateCredentialsView(MastodonView):
    required_scopes = {"PATCH": WRITE_ACCOUNTS}
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    swagger_tags = TAGS

    @swagger_auto_schema(
        request_body=UpdateCredentialsInput,
        responses={200: CredentialAccountSerializer, 401: ERROR, 403: ERROR, 422: ERROR},
        consumes=["multipart/form-data", "application/json"],
    )
    def patch(self, request):
        """Change the display name, the note (bio), the avatar (an image, multipart) and ``locked``
        (protected) through the native profile service; other Mastodon fields are ignored."""
        given = UpdateCredentialsInput(data=request.data)
        given.is_valid(raise_exception=True)
        names = {"display_name": "display_name", "note": "bio", "avatar": "avatar", "locked": "is_protected"}
        data = {names[key]: value for key, value in given.validated_data.items()}
        native = ProfileUpdateSerializer(data=data, partial=True)
        native.is_valid(raise_exception=True)
        with transaction.atomic():
            user = selectors.user_get(user_id=request.user.pk)
            services.profile_update(user=user, data=native.validated_data)
        return Response(_credential_account(selectors.user_get(user_id=request.user.pk), request=request))


class AccountView(MastodonView):
    required_scopes = {"GET": READ_ACCOUNTS}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: AccountSerializer, 404: ERROR})
    def get(self, request, id):
        return Response(account_entities([_account(id)], request=request)[0])


class AccountStatusesView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[
            *PAGE_PARAMETERS,
            *(
                openapi.Parameter(name, openapi.IN_QUERY, type=openapi.TYPE_BOOLEAN)
                for name in ("exclude_replies", "exclude_reblogs", "only_media", "pinned")
            ),
        ],
        responses={200: openapi.Response("Statuses", StatusSerializer(many=True), headers=LINK_HEADER), 404: ERROR},
    )
    def get(self, request, id):
        """The account's posts and reblogs (its retweets) the viewer may see, newest first by the
        time each was made (its own list: ``unlisted`` posts too). ``exclude_replies`` and
        ``only_media`` filter its posts (``only_media`` leaves reblogs out, as Mastodon does);
        ``pinned=true`` lists the account's pinned posts instead, most recently pinned first
        (``posts.selectors.post_list_pinned``; at most five). Paginated by status ids mapped onto
        entries (:mod:`mastodon_api.entries`)."""
        user = _account(id)
        params = page_params(request)
        if query_flag(request, "pinned"):
            return _pinned_statuses(request, user, params)
        posts = post_visibility.post_list_visible(request.user).filter(author=user)
        if query_flag(request, "exclude_replies"):
            posts = posts.filter(reply_to__isnull=True)
        only_media = query_flag(request, "only_media")
        if only_media:
            posts = posts.filter(Exists(Media.objects.filter(post_id=OuterRef("pk"))))
        reblogs = not (only_media or query_flag(request, "exclude_reblogs"))
        entries = account_entries(viewer=request.user, user=user, params=params, posts=posts, reblogs=reblogs)
        statuses = entry_statuses(entries, request=request)
        return with_link(Response(statuses), request, ids=[status["id"] for status in statuses], limit=params.limit)


def _pinned_statuses(request, user, params) -> Response:
    posts = post_selectors.post_list_pinned(author_id=user.pk, viewer=request.user)
    for name, lookup in (("max_id", "pk__lt"), ("since_id", "pk__gt"), ("min_id", "pk__gt")):
        if getattr(params, name) is not None:
            posts = posts.filter(**{lookup: getattr(params, name)})
    statuses = statuses_of(posts[: params.limit], request=request)
    return with_link(Response(statuses), request, ids=[status["id"] for status in statuses], limit=params.limit)


class _FollowListView(MastodonView):
    required_scopes = {"GET": READ_ACCOUNTS}
    public_methods = ("GET",)
    swagger_tags = TAGS
    attribute = ""

    def rows(self, user):
        raise NotImplementedError

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Accounts", AccountSerializer(many=True), headers=LINK_HEADER), 404: ERROR},
    )
    def get(self, request, id):
        """Most recent follow first, paginated by the follows' ids. A protected account's lists
        (``hide_collections``) are its own to see: empty for anyone else."""
        user = _account(id)
        params = page_params(request, maximum=80)
        if user.profile.is_protected and request.user.pk != user.pk:
            return Response([])
        return accounts_page(paginate(self.rows(user), params), self.attribute, request=request, limit=params.limit)


class FollowersView(_FollowListView):
    attribute = "follower"

    def rows(self, user):
        return selectors.follow_list_followers(user=user)


class FollowingView(_FollowListView):
    attribute = "followee"

    def rows(self, user):
        return selectors.follow_list_following(user=user)


class _RelationshipActionView(MastodonView):
    """A POST that changes the viewer's relationship with an account, answered with it."""

    swagger_tags = TAGS

    def act(self, request, user: User) -> None:
        raise NotImplementedError

    @swagger_auto_schema(
        request_body=no_body, responses={200: RelationshipSerializer, 403: ERROR, 404: ERROR, 422: ERROR}
    )
    def post(self, request, id):
        user = _account(id)
        try:
            self.act(request, user)
        except DomainError as exc:  # yourself: invalid, as Mastodon answers it
            raise ValidationError(exc.detail) from exc
        return _relationship_response(request.user, user.pk)


class FollowView(_RelationshipActionView):
    """Follow; a protected account is asked instead (``requested``)."""

    required_scopes = {"POST": WRITE_FOLLOWS}

    def act(self, request, user):
        services.follow_create(follower=request.user, followee=user)


class UnfollowView(_RelationshipActionView):
    required_scopes = {"POST": WRITE_FOLLOWS}

    def act(self, request, user):
        services.follow_delete(follower=request.user, followee=user)


class BlockView(_RelationshipActionView):
    required_scopes = {"POST": ("write", "write:blocks", "follow")}

    def act(self, request, user):
        services.block_create(blocker=request.user, blocked=user)


class UnblockView(_RelationshipActionView):
    required_scopes = {"POST": ("write", "write:blocks", "follow")}

    def act(self, request, user):
        services.block_delete(blocker=request.user, blocked=user)


class MuteInput(serializers.Serializer):
    notifications = serializers.BooleanField(required=False, default=True)
    duration = serializers.IntegerField(required=False, min_value=0, default=0, help_text="Seconds; 0: indefinite.")

    class Meta:
        ref_name = "MastodonMuteInput"


class MuteView(_RelationshipActionView):
    required_scopes = {"POST": ("write", "write:mutes", "follow")}

    @swagger_auto_schema(request_body=MuteInput, responses={200: RelationshipSerializer, 404: ERROR, 422: ERROR})
    def post(self, request, id):
        return super().post(request, id)

    def act(self, request, user):
        given = MuteInput(data=request.data)
        given.is_valid(raise_exception=True)
        duration = given.validated_data["duration"] or None
        services.mute_create(
            muter=request.user, muted=user, notifications=given.validated_data["notifications"], duration=duration
        )


class UnmuteView(_RelationshipActionView):
    required_scopes = {"POST": ("write", "write:mutes", "follow")}

    def act(self, request, user):
        services.mute_delete(muter=request.user, muted=user)


# The accounts a request is about, as ``id[]=1&id[]=2`` (read by :func:`query_ids`).
ID_LIST = openapi.Parameter(
    "id[]", openapi.IN_QUERY, type=openapi.TYPE_ARRAY, items=openapi.Items(type=openapi.TYPE_STRING)
)


class RelationshipsView(MastodonView):
    required_scopes = {"GET": READ_FOLLOWS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[ID_LIST],
        responses={200: RelationshipSerializer(many=True)},
    )
    def get(self, request):
        """The viewer's relationships with these accounts (unknown ids left out), in their order."""
        ids = query_ids(request)
        users = {user.pk: user for user in selectors.user_list_active().filter(pk__in=ids)}
        return Response(relationship_entities(request.user, [users[i] for i in ids if i in users]))


def query_ids(request, name: str = "id") -> list[int]:
    """The ids of ``name[]`` (or ``name``) in the query string, in order, each once (at most 100;
    what is not an id is left out)."""
    raw = list_param(request.query_params, name)
    return list(dict.fromkeys(i for i in (parse_id(value) for value in raw[:100]) if i is not None))


class FamiliarFollowersView(MastodonView):
    required_scopes = {"GET": READ_FOLLOWS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[ID_LIST],
        responses={
            200: openapi.Response(
                "For each account, the accounts I follow that follow it", FamiliarFollowersSerializer(many=True)
            )
        },
    )
    def get(self, request):
        """Accounts I follow that also follow each of these accounts (unknown ids left out)."""
        ids = query_ids(request)
        known = set(selectors.user_list_active().filter(pk__in=ids).values_list("pk", flat=True))
        ids = [i for i in ids if i in known]
        familiar = selectors.follow_familiar_followers(viewer=request.user, user_ids=ids)
        accounts = accounts_by_id({f for followers in familiar.values() for f in followers}, request=request)
        return Response([{"id": str(i), "accounts": [accounts[f] for f in familiar[i] if f in accounts]} for i in ids])


class _AccountEmptyListView(MastodonView):
    """A list about an account that is always empty here (the feature does not exist); 404 for an
    unknown account."""

    swagger_tags = TAGS

    @swagger_auto_schema(
        responses={
            200: openapi.Response(
                "Always empty", openapi.Schema(type=openapi.TYPE_ARRAY, items=openapi.Schema(type=openapi.TYPE_OBJECT))
            ),
            404: ERROR,
        }
    )
    def get(self, request, id):
        _account(id)
        return Response([])


class AccountFeaturedTagsView(_AccountEmptyListView):
    """Hashtags an account features on its profile: there are none here."""

    required_scopes = {"GET": READ_ACCOUNTS}
    public_methods = ("GET",)


class AccountListsView(_AccountEmptyListView):
    """Lists of mine that hold the account: there are no lists here."""

    required_scopes = {"GET": ("read", "read:lists")}


class LookupView(MastodonView):
    required_scopes = {"GET": READ_ACCOUNTS}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[openapi.Parameter("acct", openapi.IN_QUERY, type=openapi.TYPE_STRING, required=True)],
        responses={200: AccountSerializer, 404: ERROR},
    )
    def get(self, request):
        """An account by its username (``@name`` or ``name@this-host`` too)."""
        acct = request.query_params.get("acct", "").strip().lstrip("@")
        username, _, domain = acct.partition("@")
        if not username or (domain and domain.lower() != request.get_host().split(":")[0].lower()):
            raise NotFound()
        user = selectors.user_list_active().filter(username__iexact=username).first()
        if user is None:
            raise NotFound()
        return Response(account_entities([user], request=request)[0])


class AccountSearchView(MastodonView):
    required_scopes = {"GET": READ_ACCOUNTS}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=[
            openapi.Parameter("q", openapi.IN_QUERY, type=openapi.TYPE_STRING, required=True),
            openapi.Parameter("limit", openapi.IN_QUERY, type=openapi.TYPE_INTEGER),
            openapi.Parameter("offset", openapi.IN_QUERY, type=openapi.TYPE_INTEGER),
            openapi.Parameter("following", openapi.IN_QUERY, type=openapi.TYPE_BOOLEAN),
        ],
        responses={200: AccountSerializer(many=True), 422: ERROR},
    )
    def get(self, request):
        """Accounts whose username or display name holds ``q`` (the native user search): an exact
        username first."""
        text = request.query_params.get("q", "").strip().lstrip("@")
        if not text:
            raise ValidationError({"q": ["can't be blank"]})
        params = page_params(request)
        offset = page_offset(request)
        users = selectors.user_search(text=text[:200])
        if query_flag(request, "following") and request.user.is_authenticated:
            users = users.filter(follower_set__follower=request.user)
        return Response(account_entities(users[offset : offset + params.limit], request=request))


class BlocksView(MastodonView):
    required_scopes = {"GET": ("read", "read:blocks", "follow")}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Accounts", AccountSerializer(many=True), headers=LINK_HEADER)},
    )
    def get(self, request):
        """The accounts I block, most recently blocked first."""
        params = page_params(request, maximum=80)
        rows = paginate(selectors.block_list(user=request.user), params)
        return accounts_page(rows, "blocked", request=request, limit=params.limit)


class MutesView(MastodonView):
    required_scopes = {"GET": ("read", "read:mutes", "follow")}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Accounts", AccountSerializer(many=True), headers=LINK_HEADER)},
    )
    def get(self, request):
        """The accounts I mute now, most recently muted first."""
        params = page_params(request, maximum=80)
        rows = paginate(selectors.mute_list(user=request.user), params)
        return accounts_page(rows, "muted", request=request, limit=params.limit)


class FollowRequestsView(MastodonView):
    required_scopes = {"GET": READ_FOLLOWS}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Accounts", AccountSerializer(many=True), headers=LINK_HEADER)},
    )
    def get(self, request):
        """The accounts asking to follow me, newest request first."""
        params = page_params(request, maximum=80)
        rows = paginate(selectors.follow_request_list(target=request.user), params)
        return accounts_page(rows, "requester", request=request, limit=params.limit)


class _FollowRequestActionView(MastodonView):
    required_scopes = {"POST": WRITE_FOLLOWS}
    swagger_tags = TAGS

    def act(self, *, target: User, request_id: int) -> None:
        raise NotImplementedError

    @swagger_auto_schema(request_body=no_body, responses={200: RelationshipSerializer, 404: ERROR})
    def post(self, request, id):
        """``id`` is the requesting account's."""
        requester_id = parse_id(id)
        follow_request = (
            selectors.follow_request_list(target=request.user).filter(requester_id=requester_id).first()
            if requester_id
            else None
        )
        if follow_request is None:
            raise NotFound()
        self.act(target=request.user, request_id=follow_request.pk)
        return _relationship_response(request.user, follow_request.requester_id)


class FollowRequestAuthorizeView(_FollowRequestActionView):
    def act(self, *, target, request_id):
        services.follow_request_approve(target=target, request_id=request_id)


class FollowRequestRejectView(_FollowRequestActionView):
    def act(self, *, target, request_id):
        services.follow_request_reject(target=target, request_id=request_id)
