"""Mastodon's statuses API: a status, its context, who favourited or reblogged it, my favourites
and bookmarks; posting, editing and deleting statuses, their source and history, favourites,
reblogs, bookmarks and pins. Posts are read through ``posts.selectors`` and the one visibility
rule, and written through ``posts.services``; a status the viewer may not see is a 404 for every
action."""

from drf_yasg import openapi
from drf_yasg.utils import no_body, swagger_auto_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from mini_twitter.api import idempotency
from mini_twitter.api.exceptions import DomainError
from mini_twitter.api.ids import parse_id
from posts import selectors, services, visibility
from posts.models import Like, Post, Retweet
from users.models import Profile
from users.selectors import relationship_sets

from ..entities.schemas import (
    AccountSerializer,
    ContextSerializer,
    MediaAttachmentSerializer,
    StatusSerializer,
)
from ..entities.status import (
    Reblog,
    reblog_status_id,
    retweet_id_of_status,
    status_edit_entities,
    status_entities,
)
from ..pagination import page_params, paginate, with_link
from .base import MastodonView
from .rendering import ERROR, LINK_HEADER, PAGE_PARAMETERS, accounts_page, post_dicts, statuses_of

READ_STATUSES = ("read", "read:statuses")
TAGS = ["mastodon"]
# How far a context reaches: ancestors up, and descendants down (levels, and statuses in all).
CONTEXT_DEPTH = 40
CONTEXT_DESCENDANTS = 500


def visible_post(request, status_id) -> Post:
    """The post a status id names (a reblog's: the reblogged post), 404 when unknown or hidden."""
    value = parse_id(status_id)
    if value is None:
        raise NotFound()
    retweet_id = retweet_id_of_status(value)
    if retweet_id is not None:
        value = Retweet.objects.filter(pk=retweet_id).values_list("post_id", flat=True).first()
        if value is None:
            raise NotFound()
    return visibility.post_get_visible(viewer=request.user, post_id=value)


def status_response(request, status_id) -> Response:
    """A status by id: a post, or a reblog (its retweeter active and not hidden from the viewer)."""
    value = parse_id(status_id)
    if value is None:
        raise NotFound()
    retweet_id = retweet_id_of_status(value)
    reblog = None
    if retweet_id is not None:
        retweet = Retweet.objects.filter(pk=retweet_id, user__is_active=True).first()
        if retweet is None or retweet.user_id in relationship_sets(request.user).hidden(mutes=False):
            raise NotFound()
        reblog, value = Reblog(retweet.pk, retweet.user_id, retweet.created_at), retweet.post_id
    post = selectors.post_get(post_id=value, viewer=request.user)
    (post_dict,) = post_dicts([post], request=request)
    statuses = status_entities([(post_dict, reblog)], viewer=request.user, request=request)
    if not statuses:
        raise NotFound()
    return Response(statuses[0])


def status_of(request, post_id: int) -> dict:
    """The Status of a post the viewer may see."""
    return status_response(request, post_id).data


WRITE_STATUSES = ("write", "write:statuses")
# Mastodon's visibilities → the native ones; ``direct`` has no native counterpart.
NATIVE_VISIBILITY = {
    "public": Post.Visibility.PUBLIC,
    "unlisted": Post.Visibility.UNLISTED,
    "private": Post.Visibility.FOLLOWERS,
}
TRUE_VALUES = ("1", "true", "t", "yes", "on")


def request_fields(request, *, lists: tuple[str, ...] = ("media_ids",)) -> dict:
    """The body's fields however a client sends them: JSON, or a form (``media_ids[]=1&...``, as
    Mastodon.py and most clients do); nested form keys (``poll[options][]``) keep their name up to
    the bracket."""
    data = request.data
    if hasattr(data, "getlist"):
        pairs = [(key, data.getlist(key)) for key in data]
    elif isinstance(data, dict):
        pairs = [(key, value if key.endswith("[]") else [value]) for key, value in data.items()]
    else:
        raise ValidationError("The body must be an object")
    fields: dict = {}
    for key, values in pairs:
        name = key.split("[", 1)[0]
        if name in lists:
            values = values if isinstance(values, list) else [values]
            if key == name and len(values) == 1 and isinstance(values[0], list):
                values = values[0]  # JSON: "media_ids": [...]
            fields[name] = [*fields.get(name, []), *values]
        elif key != name:
            fields[name] = values  # nested (poll[...]): only its presence matters
        else:
            fields[name] = values[-1] if values else None
    return fields


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def _text(fields: dict, name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError({name: ["must be a string"]})
    return value


def _media_ids(fields: dict) -> list[int] | None:
    """``media_ids`` given (a list of ids; one id alone is a list of one), or None."""
    if "media_ids" not in fields or fields["media_ids"] is None:
        return None
    raw = fields["media_ids"]
    raw = raw if isinstance(raw, list) else [raw]
    ids = [parse_id(str(value)) for value in raw if value not in ("", None)]
    if any(value is None for value in ids):
        raise ValidationError({"media_ids": ["is invalid"]})
    return ids


def _refuse_unsupported(fields: dict) -> None:
    """What Mastodon takes that this service does not do: 422, never silently dropped."""
    if fields.get("poll") not in (None, "", {}):
        raise ValidationError("Polls are not supported")
    if fields.get("scheduled_at") not in (None, ""):
        raise ValidationError("Scheduled statuses are not supported")


def own_post(request, status_id) -> Post:
    """One of the viewer's own posts by its status id; anyone else's (or a reblog) is a 404, as
    Mastodon looks it up among the account's own statuses."""
    value = parse_id(status_id)
    if value is None or retweet_id_of_status(value) is not None:
        raise NotFound()
    post = visibility.post_get_visible(viewer=request.user, post_id=value)
    if post.author_id != request.user.pk:
        raise NotFound()
    return post


class StatusCreateSerializer(serializers.Serializer):
    """What ``POST /api/v1/statuses`` takes (documentation: the view reads the body itself, as JSON
    or as a form)."""

    status = serializers.CharField(help_text="The text, 1..280 characters after trimming (required).")
    media_ids = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="`media_ids[]` in a form: up to 4 own uploads."
    )
    in_reply_to_id = serializers.CharField(required=False, help_text="A status the viewer may see (404 otherwise).")
    visibility = serializers.ChoiceField(
        choices=["public", "unlisted", "private", "direct"],
        required=False,
        help_text="`private`: followers only; `direct` → 422 (not supported).",
    )
    spoiler_text = serializers.CharField(required=False, help_text="A content warning, at most 100 characters.")
    sensitive = serializers.BooleanField(required=False)
    language = serializers.CharField(required=False, help_text="Accepted and not stored (`language` is null).")
    scheduled_at = serializers.DateTimeField(required=False, help_text="Not supported: 422.")

    class Meta:
        ref_name = "MastodonStatusCreate"


class StatusEditSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    spoiler_text = serializers.CharField(required=False)
    sensitive = serializers.BooleanField(required=False)
    media_ids = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="The current media only: changing them → 422."
    )
    language = serializers.CharField(required=False)

    class Meta:
        ref_name = "MastodonStatusEditRequest"


class StatusSourceSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    spoiler_text = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "MastodonStatusSource"


class StatusVersionSerializer(serializers.Serializer):
    content = serializers.CharField(allow_blank=True, help_text="HTML.")
    spoiler_text = serializers.CharField(allow_blank=True)
    sensitive = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    account = AccountSerializer()
    poll = serializers.JSONField(allow_null=True)
    media_attachments = MediaAttachmentSerializer(many=True)
    emojis = serializers.ListField(child=serializers.DictField())

    class Meta:
        ref_name = "MastodonStatusEdit"


class StatusesView(MastodonView):
    required_scopes = {"POST": WRITE_STATUSES}
    swagger_tags = TAGS

    @swagger_auto_schema(
        request_body=StatusCreateSerializer,
        manual_parameters=[idempotency.PARAMETER],
        responses={200: StatusSerializer, 404: ERROR, 422: ERROR},
    )
    def post(self, request):
        """Post a status. Text is required (as in the native API: a status of media alone → 422);
        `direct`, polls and `scheduled_at` → 422. A retry with the first attempt's
        `Idempotency-Key` (within an hour) answers the first status and posts nothing."""
        key = idempotency.key_from(request)
        fields = request_fields(request)
        _refuse_unsupported(fields)
        requested = fields.get("visibility") or None
        if requested == "direct":
            raise ValidationError("Direct messages are not supported")
        if requested is not None and requested not in NATIVE_VISIBILITY:
            raise ValidationError({"visibility": ["is not included in the list"]})
        reply_to = fields.get("in_reply_to_id")
        reply_to_id = None
        if reply_to not in (None, ""):
            reply_to_id = parse_id(str(reply_to))
            if reply_to_id is None or not visibility.post_list_visible(request.user).filter(pk=reply_to_id).exists():
                raise NotFound()
        post = services.post_create(
            author=request.user,
            content=_text(fields, "status") or "",
            reply_to_id=reply_to_id,
            media_ids=_media_ids(fields) or (),
            idempotency_key=key,
            visibility=NATIVE_VISIBILITY.get(requested) if requested else None,
            spoiler_text=_text(fields, "spoiler_text") or "",
            sensitive=_flag(fields.get("sensitive", False)),
        )
        return Response(status_of(request, post.pk))


class StatusView(MastodonView):
    required_scopes = {"GET": READ_STATUSES, "PUT": WRITE_STATUSES, "DELETE": WRITE_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: StatusSerializer, 404: ERROR})
    def get(self, request, id):
        """A status the viewer may see (404 otherwise)."""
        return status_response(request, id)

    @swagger_auto_schema(request_body=StatusEditSerializer, responses={200: StatusSerializer, 404: ERROR, 422: ERROR})
    def put(self, request, id):
        """Edit one of my statuses (anyone else's → 404): its text, content warning, sensitivity.
        The version it replaces stays in its history. Its media can't be changed (422)."""
        post = own_post(request, id)
        fields = request_fields(request)
        _refuse_unsupported(fields)
        media_ids = _media_ids(fields)
        if media_ids is not None and media_ids != [media.pk for media in post.media.order_by("position", "id")]:
            raise ValidationError("The media of a status can't be changed")
        sensitive = fields.get("sensitive")
        services.post_update(
            post=post,
            user=request.user,
            content=_text(fields, "status"),
            spoiler_text=_text(fields, "spoiler_text"),
            sensitive=None if sensitive in (None, "") else _flag(sensitive),
        )
        return Response(status_of(request, post.pk))

    @swagger_auto_schema(
        manual_parameters=[openapi.Parameter("delete_media", openapi.IN_QUERY, type=openapi.TYPE_BOOLEAN)],
        responses={200: StatusSerializer, 404: ERROR},
    )
    def delete(self, request, id):
        """Delete one of my statuses (anyone else's → 404); answers it as it was, with `text` its
        source to redraft from. Its media go with it (`delete_media` is accepted). One of my reblogs
        is undone (answered as it was)."""
        value = parse_id(id)
        retweet_id = retweet_id_of_status(value) if value is not None else None
        if retweet_id is not None:
            retweet = Retweet.objects.filter(pk=retweet_id, user=request.user).select_related("post").first()
            if retweet is None:
                raise NotFound()
            status = status_response(request, id).data
            services.retweet_delete(user=request.user, post=retweet.post)
            return Response(status)
        post = own_post(request, id)
        status = status_of(request, post.pk)
        services.post_delete(post=post, user=request.user)
        status["text"] = post.content
        return Response(status)


class StatusSourceView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: StatusSourceSerializer, 404: ERROR})
    def get(self, request, id):
        """The plain text and content warning of one of my statuses, to edit (anyone else's → 404)."""
        post = own_post(request, id)
        return Response({"id": str(post.pk), "text": post.content, "spoiler_text": post.spoiler_text})


class StatusHistoryView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: StatusVersionSerializer(many=True), 404: ERROR})
    def get(self, request, id):
        """The versions of a status the viewer may see, oldest first, the current one last."""
        post = visible_post(request, id)
        post = selectors.post_get(post_id=post.pk, viewer=request.user)
        status = status_of(request, post.pk)
        versions = selectors.post_history_list(post=post)
        return Response(status_edit_entities(versions, status=status, request=request))


class _StatusActionView(MastodonView):
    """``POST /api/v1/statuses/:id/<action>``: the action on a status the viewer may see (a
    reblog's id stands for the reblogged post), answered with the status."""

    scopes: tuple[str, ...] = WRITE_STATUSES
    swagger_tags = TAGS

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.required_scopes = {"POST": cls.scopes}

    def act(self, request, post: Post) -> int | None:
        """Do it; the status id to answer with (None: the post's)."""
        raise NotImplementedError

    @swagger_auto_schema(request_body=no_body, responses={200: StatusSerializer, 403: ERROR, 404: ERROR, 422: ERROR})
    def post(self, request, id):
        post = visible_post(request, id)
        try:
            answer = self.act(request, post)
        except DomainError as exc:
            raise ValidationError(str(exc.detail)) from exc
        return status_response(request, answer if answer is not None else post.pk)


WRITE_FAVOURITES = ("write", "write:favourites")
WRITE_BOOKMARKS = ("write", "write:bookmarks")
WRITE_ACCOUNTS = ("write", "write:accounts")


class FavouriteView(_StatusActionView):
    """Favourite a status (idempotent)."""

    scopes = WRITE_FAVOURITES

    def act(self, request, post):
        services.like_create(user=request.user, post=post)


class UnfavouriteView(_StatusActionView):
    """Remove my favourite (idempotent)."""

    scopes = WRITE_FAVOURITES

    def act(self, request, post):
        services.like_delete(user=request.user, post=post)


class ReblogView(_StatusActionView):
    """Reblog a status (idempotent): answers the reblog, wrapping the status. My own statuses →
    422; statuses for followers only → 403 (`visibility` is accepted: reblogs are public)."""

    def act(self, request, post):
        services.retweet_create(user=request.user, post=post)
        retweet_id = Retweet.objects.filter(user=request.user, post=post).values_list("pk", flat=True).first()
        if retweet_id is None:  # undone meanwhile
            raise NotFound()
        return reblog_status_id(retweet_id)


class UnreblogView(_StatusActionView):
    """Undo my reblog (idempotent): answers the status."""

    def act(self, request, post):
        services.retweet_delete(user=request.user, post=post)


class BookmarkView(_StatusActionView):
    """Bookmark a status (idempotent)."""

    scopes = WRITE_BOOKMARKS

    def act(self, request, post):
        services.bookmark_create(user=request.user, post=post)


class UnbookmarkView(_StatusActionView):
    """Remove a bookmark (idempotent)."""

    scopes = WRITE_BOOKMARKS

    def act(self, request, post):
        services.bookmark_delete(user=request.user, post=post)


class PinView(_StatusActionView):
    """Pin one of my public or unlisted statuses to my profile (idempotent); anyone else's or a
    private one → 422, beyond five pinned → 422."""

    scopes = WRITE_ACCOUNTS

    def act(self, request, post):
        if post.author_id != request.user.pk:
            raise ValidationError("You can't pin someone else's post")
        protected = Profile.objects.filter(pk=post.author_id).values_list("is_protected", flat=True).first() or False
        if visibility.post_is_restricted(post, author_protected=protected):
            raise ValidationError("Private posts cannot be pinned")
        services.pin_create(user=request.user, post=post)


class UnpinView(_StatusActionView):
    """Unpin one of my statuses (idempotent; anyone else's stays as it is)."""

    scopes = WRITE_ACCOUNTS

    def act(self, request, post):
        if post.author_id == request.user.pk:
            services.pin_delete(user=request.user, post=post)


class StatusContextView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: ContextSerializer, 404: ERROR})
    def get(self, request, id):
        """The posts it replies to (up the thread, oldest first) and the replies below it (depth
        first), those the viewer may see: replies by accounts the viewer mutes are left out."""
        post = visible_post(request, id)
        up, down = selectors.post_thread_ids(post, depth=CONTEXT_DEPTH, limit=CONTEXT_DESCENDANTS)
        ancestors = {p.pk: p for p in selectors.post_list(viewer=request.user).filter(pk__in=up)}
        descendants = {p.pk: p for p in selectors.post_list(viewer=request.user, context="replies").filter(pk__in=down)}
        shown = [ancestors[i] for i in up if i in ancestors] + [descendants[i] for i in down if i in descendants]
        statuses = statuses_of(shown, request=request)
        split = sum(1 for i in up if i in ancestors)
        return Response({"ancestors": statuses[:split], "descendants": statuses[split:]})


class _StatusAccountsView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS
    model = Like

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Accounts", AccountSerializer(many=True), headers=LINK_HEADER), 404: ERROR},
    )
    def get(self, request, id):
        """Most recent first, paginated by the likes' (or retweets') ids; accounts blocked either
        way left out."""
        post = visible_post(request, id)
        params = page_params(request, maximum=80)
        hidden = relationship_sets(request.user).hidden(mutes=False)
        rows = self.model.objects.filter(post=post, user__is_active=True).exclude(user_id__in=hidden)
        rows = paginate(rows.select_related("user__profile"), params)
        return accounts_page(rows, "user", request=request, limit=params.limit)


class FavouritedByView(_StatusAccountsView):
    model = Like


class RebloggedByView(_StatusAccountsView):
    model = Retweet


class FavouritesView(MastodonView):
    required_scopes = {"GET": ("read", "read:favourites")}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Statuses", StatusSerializer(many=True), headers=LINK_HEADER)},
    )
    def get(self, request):
        """The posts I like that I may still see, most recently liked first, paginated by the likes'
        ids."""
        params = page_params(request)
        likes = Like.objects.filter(visibility.post_visible_q(request.user, prefix="post__"), user=request.user)
        rows = paginate(likes.only("id", "post_id"), params)
        posts = {
            post.pk: post for post in selectors.post_list(viewer=request.user).filter(pk__in=[r.post_id for r in rows])
        }
        response = Response(statuses_of([posts[r.post_id] for r in rows if r.post_id in posts], request=request))
        return with_link(response, request, ids=[row.pk for row in rows], limit=params.limit)


class BookmarksView(MastodonView):
    required_scopes = {"GET": ("read", "read:bookmarks")}
    swagger_tags = TAGS

    @swagger_auto_schema(
        manual_parameters=PAGE_PARAMETERS,
        responses={200: openapi.Response("Statuses", StatusSerializer(many=True), headers=LINK_HEADER)},
    )
    def get(self, request):
        """My bookmarks that I may still see, most recently bookmarked first, paginated by the
        bookmarks' ids (the `Link` header's `max_id`/`min_id`)."""
        params = page_params(request)
        rows = paginate(selectors.bookmark_list(user=request.user), params, field="bookmark_id")
        response = Response(statuses_of(rows, request=request))
        return with_link(response, request, ids=[row.bookmark_id for row in rows], limit=params.limit)
