"""Mastodon's Status from the native post representation (``posts.serializers.post_render``: the
same dicts the native API answers and the home feed caches), one page at a time: the authors'
accounts and the authors of the posts replied to are loaded once per page.

Status ids: a post's status id is the post's id. A reblog (a retweet, shown as a status whose
``reblog`` is the retweeted post) has the id ``REBLOG_ID_BASE + retweet id``, so the two never
collide (post ids stay below 2^62). Ids of posts and of reblogs do not order against each other:
pages are walked by the ``Link`` header (or by the ids of the statuses of one list), as Mastodon's
documentation asks of clients.

The content warning, sensitivity, the viewer's bookmark and the author's pin come from the native
representation (``spoiler_text``, ``sensitive``, ``is_bookmarked``, ``is_pinned``)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from media.serializers import post_media_render
from posts.models import Post, Retweet

from .account import account_lookup, accounts_of
from .common import Lookup, account_url, cached_many, mastodon_datetime, status_uri, status_url, text_html
from .media import media_entity
from .tag import status_tag_entity

REBLOG_ID_BASE = 2**62

VISIBILITY = {
    Post.Visibility.PUBLIC: "public",
    Post.Visibility.UNLISTED: "unlisted",
    Post.Visibility.FOLLOWERS: "private",
}


def reblog_status_id(retweet_id: int) -> int:
    return REBLOG_ID_BASE + retweet_id


def retweet_id_of_status(status_id: int) -> int | None:
    """The retweet a status id stands for, or None for a post's id."""
    return status_id - REBLOG_ID_BASE if status_id >= REBLOG_ID_BASE else None


@dataclass(frozen=True)
class Reblog:
    """A retweet that shows a post as a reblog status; ``created_at`` None: looked up with the page
    (a retweet that is gone then shows the post itself)."""

    id: int
    user_id: int
    created_at: datetime | None = None


# --- Attributes of the native representation under Mastodon's names ----------------------------


def _spoiler_text(post: dict) -> str:
    return post.get("spoiler_text") or ""


def _sensitive(post: dict) -> bool:
    return bool(post.get("sensitive"))


def _bookmarked(post: dict) -> bool:
    """The viewer's flag, loaded with the page (``posts.selectors.post_list`` annotates it, the home
    feed's hydration reads it with the other flags)."""
    return bool(post.get("is_bookmarked"))


def _pinned(post: dict) -> bool:
    return bool(post.get("is_pinned"))


# --- Rendering ----------------------------------------------------------------------------------


def _load_post_authors(ids: set[int]) -> dict[int, int]:
    return dict(Post.objects.filter(pk__in=ids).values_list("pk", "author_id"))


def _load_retweet_times(ids: set[int]) -> dict[int, datetime]:
    return dict(Retweet.objects.filter(pk__in=ids).values_list("pk", "created_at"))


def _reply_author_lookup(posts: Iterable[dict]) -> Lookup:
    """The authors of the posts replied to (a post's author never changes: cached)."""
    ids = frozenset(post["reply_to"] for post in posts if post.get("reply_to"))
    return Lookup("mastodon:post-author:", ids, _load_post_authors)


def _retweet_time_lookup(retweet_ids: Iterable[int]) -> Lookup:
    """When each retweet was made (never changes: cached)."""
    return Lookup("mastodon:retweet-at:", frozenset(retweet_ids), _load_retweet_times)


def _post_status(post: dict, *, account: dict, reply_author: int | None, authenticated: bool, request) -> dict:
    username = account["username"]
    mentions = [
        {
            "id": str(mention["id"]),
            "username": mention["username"],
            "url": account_url(mention["username"], request=request),
            "acct": mention["username"],
        }
        for mention in post["mentions"]
    ]
    status = {
        "id": str(post["id"]),
        "uri": status_uri(username, post["id"], request=request),
        "url": status_url(username, post["id"], request=request),
        "created_at": mastodon_datetime(post["created_at"]),
        "account": account,
        "content": text_html(
            post["content"], mentions=[(mention["username"], mention["url"]) for mention in mentions], request=request
        ),
        # Every post of a protected account is for its followers (posts.visibility).
        "visibility": "private" if account["locked"] else VISIBILITY.get(post["visibility"], "public"),
        "sensitive": _sensitive(post),
        "spoiler_text": _spoiler_text(post),
        "media_attachments": [media_entity(item) for item in post["media"]],
        "application": None,
        "mentions": mentions,
        "tags": [status_tag_entity(name, request=request) for name in post["hashtags"]],
        "emojis": [],
        "reblogs_count": post["retweets_count"],
        "favourites_count": post["likes_count"],
        "replies_count": post["replies_count"],
        "in_reply_to_id": str(post["reply_to"]) if post.get("reply_to") else None,
        "in_reply_to_account_id": str(reply_author) if reply_author else None,
        "reblog": None,
        "poll": None,
        "card": None,
        "language": None,
        "text": None,
        "edited_at": mastodon_datetime(post.get("edited_at")),
    }
    if authenticated:
        status.update(
            favourited=bool(post.get("is_liked")),
            reblogged=bool(post.get("is_retweeted")),
            muted=False,
            bookmarked=_bookmarked(post),
            pinned=_pinned(post),
            filtered=[],
        )
    return status


def _reblog_status(
    reblog: Reblog, inner: dict, *, created_at: datetime, account: dict, authenticated: bool, request
) -> dict:
    status_id = reblog_status_id(reblog.id)
    activity = status_uri(account["username"], status_id, request=request) + "/activity"
    status = {
        **{key: value for key, value in inner.items() if key not in ("favourited", "reblogged", "bookmarked")},
        "id": str(status_id),
        "uri": activity,
        "url": activity,
        "created_at": mastodon_datetime(created_at),
        "account": account,
        "content": "",
        "visibility": "public",
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": [],
        "application": None,
        "mentions": [],
        "tags": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": inner,
        "edited_at": None,
    }
    if authenticated:
        status.update(
            favourited=inner["favourited"],
            reblogged=inner["reblogged"],
            bookmarked=inner["bookmarked"],
            pinned=False,
        )
    return status


def status_entities(items: Sequence[tuple[dict, Reblog | None]], *, viewer, request) -> list[dict]:
    """Statuses of ``(post, reblog or None)`` pairs, in their order: ``post`` as ``post_render``
    gives it (URLs absolute, the viewer's flags). One cache read for the page's accounts, the
    authors replied to and the reblogs' times; on a miss, at most four queries whatever their
    number. Posts whose author is gone are left out."""
    authenticated = viewer is not None and viewer.is_authenticated
    posts = [post for post, _ in items]
    user_ids = {post["author"]["id"] for post in posts} | {reblog.user_id for _, reblog in items if reblog}
    account_data, reply_authors, reblog_times = cached_many(
        account_lookup(user_ids),
        _reply_author_lookup(posts),
        _retweet_time_lookup(reblog.id for _, reblog in items if reblog and reblog.created_at is None),
    )
    accounts = accounts_of(account_data, request=request)
    statuses = []
    for post, reblog in items:
        account = accounts.get(post["author"]["id"])
        if account is None:
            continue
        status = _post_status(
            post,
            account=account,
            reply_author=reply_authors.get(post.get("reply_to")),
            authenticated=authenticated,
            request=request,
        )
        if reblog is not None:
            reblogger = accounts.get(reblog.user_id)
            created_at = reblog.created_at or reblog_times.get(reblog.id)
            if reblogger is None or created_at is None:
                statuses.append(status)
                continue
            status = _reblog_status(
                reblog, status, created_at=created_at, account=reblogger, authenticated=authenticated, request=request
            )
        statuses.append(status)
    return statuses


def status_edit_entities(versions: Sequence[dict], *, status: dict, request) -> list[dict]:
    """Mastodon's StatusEdit list of a post's versions (``posts.selectors.post_history_list``,
    oldest first), by the author of ``status`` (the post's Status), mentions linked as in it."""
    mentions = [(mention["username"], mention["url"]) for mention in status["mentions"]]
    return [
        {
            "content": text_html(version["content"], mentions=mentions, request=request),
            "spoiler_text": version["spoiler_text"],
            "sensitive": bool(version["sensitive"]),
            "created_at": mastodon_datetime(version["created_at"]),
            "account": status["account"],
            "poll": None,
            "media_attachments": [media_entity(post_media_render(item, request=request)) for item in version["media"]],
            "emojis": [],
        }
        for version in versions
    ]
