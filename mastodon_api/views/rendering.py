"""Pages of posts and accounts rendered as Mastodon entities, shared by the read views."""

from collections.abc import Iterable

from drf_yasg import openapi
from rest_framework.response import Response

from posts import feed, selectors
from posts.feed.entries import retweet_id_of
from posts.models import Post
from posts.serializers import PostSerializer

from ..entities.account import account_entities
from ..entities.schemas import ErrorSerializer
from ..entities.status import Reblog, status_entities
from ..pagination import with_link

ERROR = openapi.Response('Error: `{"error": "..."}`', ErrorSerializer)
PAGE_PARAMETERS = [
    openapi.Parameter("max_id", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="Older than this id."),
    openapi.Parameter("since_id", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="Newer than this id."),
    openapi.Parameter(
        "min_id", openapi.IN_QUERY, type=openapi.TYPE_STRING, description="The page just newer than this id."
    ),
    openapi.Parameter("limit", openapi.IN_QUERY, type=openapi.TYPE_INTEGER, description="Default 20, at most 40."),
]
LINK_HEADER = {
    "Link": openapi.Schema(type=openapi.TYPE_STRING, description='`<…max_id=…>; rel="next", <…min_id=…>; rel="prev"`')
}


def list_param(data, name: str) -> list:
    """A list parameter as Mastodon clients send one: ``name[]`` (or ``name``) repeated in a query
    string or a form, or an array in a JSON body."""
    if hasattr(data, "getlist"):
        return data.getlist(f"{name}[]") or data.getlist(name)
    value = data.get(name, data.get(f"{name}[]", []))
    return value if isinstance(value, list) else [value]


def query_flag(request, name: str, default: bool = False) -> bool:
    """A boolean query parameter as Mastodon reads one (``true``, ``1``...)."""
    value = request.query_params.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "t", "yes", "on")


def post_dicts(posts: Iterable[Post], *, request) -> list[dict]:
    """The native representation of posts loaded by ``posts.selectors.post_list``."""
    return list(PostSerializer(list(posts), many=True, context={"request": request}).data)


def statuses_of(posts: Iterable[Post], *, request) -> list[dict]:
    items = [(post, None) for post in post_dicts(posts, request=request)]
    return status_entities(items, viewer=request.user, request=request)


def entry_statuses(entries: list[feed.FeedEntry], *, request) -> list[dict]:
    """Statuses of feed entries: a post's own entry is the post, a retweet's a reblog of it."""
    found = selectors.post_list(viewer=request.user).filter(pk__in={entry.post_id for entry in entries})
    posts = {post["id"]: post for post in post_dicts(found, request=request)}
    pairs = [
        (
            posts[entry.post_id],
            Reblog(retweet_id_of(entry.feed_id), entry.retweeted_by_id, entry.entry_at)
            if entry.retweeted_by_id
            else None,
        )
        for entry in entries
        if entry.post_id in posts
    ]
    return status_entities(pairs, viewer=request.user, request=request)


def accounts_page(rows: list, attribute: str, *, request, limit: int) -> Response:
    """A page of rows (follows, blocks, mutes, likes...) paginated by their own ids, answered as the
    accounts they name."""
    users = [getattr(row, attribute) for row in rows]
    response = Response(account_entities(users, request=request))
    return with_link(response, request, ids=[row.pk for row in rows], limit=limit)
