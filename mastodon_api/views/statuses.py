"""Mastodon's statuses API, the read side: a status, its context, who favourited or reblogged it,
and my favourites. Posts are read through ``posts.selectors`` and the one visibility rule."""

from drf_yasg import openapi
from drf_yasg.utils import swagger_auto_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from mini_twitter.api.ids import parse_id
from posts import selectors, visibility
from posts.models import Like, Post, Retweet
from users.selectors import relationship_sets

from ..entities.schemas import AccountSerializer, ContextSerializer, StatusSerializer
from ..entities.status import Reblog, retweet_id_of_status, status_entities
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


class StatusView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: StatusSerializer, 404: ERROR})
    def get(self, request, id):
        """A status the viewer may see (404 otherwise)."""
        return status_response(request, id)


def _ancestor_ids(post: Post) -> list[int]:
    """The posts above ``post``, nearest last (one small query per level, at most CONTEXT_DEPTH)."""
    ids, parent = [], post.reply_to_id
    while parent and len(ids) < CONTEXT_DEPTH and parent not in ids:
        ids.append(parent)
        parent = Post.objects.filter(pk=parent).values_list("reply_to_id", flat=True).first()
    return list(reversed(ids))


def _descendant_ids(post: Post) -> list[int]:
    """The replies below ``post``, depth first, each level oldest first (one query per level)."""
    children: dict[int, list[int]] = {}
    level, seen = [post.pk], 0
    for _ in range(CONTEXT_DEPTH):
        rows = list(
            Post.objects.filter(reply_to_id__in=level).order_by("created_at", "id").values_list("id", "reply_to_id")
        )
        if not rows:
            break
        for child, parent in rows[: CONTEXT_DESCENDANTS - seen]:
            children.setdefault(parent, []).append(child)
        seen += len(rows)
        if seen >= CONTEXT_DESCENDANTS:
            break
        level = [child for child, _ in rows]
    ordered, stack = [], list(reversed(children.get(post.pk, [])))
    while stack:
        current = stack.pop()
        ordered.append(current)
        stack.extend(reversed(children.get(current, [])))
    return ordered


class StatusContextView(MastodonView):
    required_scopes = {"GET": READ_STATUSES}
    public_methods = ("GET",)
    swagger_tags = TAGS

    @swagger_auto_schema(responses={200: ContextSerializer, 404: ERROR})
    def get(self, request, id):
        """The posts it replies to (up the thread, oldest first) and the replies below it (depth
        first), those the viewer may see: replies by accounts the viewer mutes are left out."""
        post = visible_post(request, id)
        up, down = _ancestor_ids(post), _descendant_ids(post)
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
