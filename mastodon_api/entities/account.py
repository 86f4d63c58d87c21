"""Mastodon's Account (and CredentialAccount's ``source``) from the native users and profiles.

``locked`` is the native ``is_protected``; ``note`` is the bio as HTML; ``fields`` show the
profile's website and location; accounts without an avatar show the site's default avatar, and
every account the default header (there are no headers). ``created_at`` is the day the account
joined, at midnight UTC, as Mastodon gives it."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import lru_cache

from django.core.cache import cache
from django.db.models import Max
from django.templatetags.static import static

from mini_twitter.api.serializers import absolute_url
from posts.models import Post
from users.models import User
from users.selectors import user_list_active
from users.serializers import user_short_data_of

from ..content import render_html
from .common import (
    Lookup,
    account_uri,
    account_url,
    cached_many,
    mastodon_date,
    mastodon_datetime,
    site_root,
    site_url,
    text_html,
)

DEFAULT_AVATAR = "mastodon_api/avatar.png"
DEFAULT_HEADER = "mastodon_api/header.png"


@lru_cache
def _static(path: str) -> str:
    # The static files' URLs are fixed for the process (their manifest is read once).
    return static(path)


def default_avatar_url(*, request) -> str:
    return site_url(_static(DEFAULT_AVATAR), request=request)


def default_header_url(*, request) -> str:
    return site_url(_static(DEFAULT_HEADER), request=request)


def note_html(bio: str, *, request) -> str:
    return text_html(bio, request=request)


def last_status_days(user_ids: Iterable[int]) -> dict[int, datetime]:
    """Each account's newest post's time (one query for all)."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return {}
    rows = Post.objects.filter(author_id__in=user_ids).values("author_id").annotate(last=Max("created_at"))
    return {row["author_id"]: row["last"] for row in rows.order_by()}


# What an account shows, as plain values (request-free, cached): see :func:`account_data`.
ACCOUNT_CACHE_SECONDS = 60
ACCOUNT_CACHE_PREFIX = "mastodon:account:v1:"


def account_data(user: User, *, last_status_at: datetime | None) -> dict:
    """What :func:`account_render` needs of a user loaded with its profile, as plain values."""
    profile = user.profile
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": profile.display_name,
        "locked": profile.is_protected,
        "joined": user.date_joined.astimezone(UTC).date().isoformat(),
        "bio": profile.bio,
        "website": profile.website,
        "location": profile.location,
        "avatar": user_short_data_of(user)["avatar"],
        "followers_count": profile.followers_count,
        "following_count": profile.following_count,
        "statuses_count": profile.posts_count,
        "last_status_at": mastodon_date(last_status_at),
    }


def _fields(data: dict) -> list[dict]:
    fields = []
    for name, value in (("Website", data["website"]), ("Location", data["location"])):
        if value:
            # A field's value is one line: no paragraph around it.
            html = render_html(value, tag_url=lambda n: "").removeprefix("<p>").removesuffix("</p>")
            fields.append({"name": name, "value": html, "verified_at": None})
    return fields


# Rendered accounts by site and data, per process (a page embeds the same few accounts again and
# again, and so do the pages of many readers); emptied when full.
RENDERED_ACCOUNTS_MAX = 4096
_rendered_accounts: dict[tuple, dict] = {}


def account_render(data: dict, *, request) -> dict:
    """The Account entity of :func:`account_data`, URLs absolute for ``request`` (a new dict each
    call: callers may add to it)."""
    key = (site_root(request), *data.items())
    entity = _rendered_accounts.get(key)
    if entity is None:
        if len(_rendered_accounts) >= RENDERED_ACCOUNTS_MAX:
            _rendered_accounts.clear()
        entity = _rendered_accounts[key] = _account_render(data, request=request)
    return dict(entity)


def _account_render(data: dict, *, request) -> dict:
    avatar = absolute_url(data["avatar"], request=request) or default_avatar_url(request=request)
    header = default_header_url(request=request)
    joined = datetime.combine(date.fromisoformat(data["joined"]), time(), tzinfo=UTC)
    return {
        "id": str(data["id"]),
        "username": data["username"],
        "acct": data["username"],
        "display_name": data["display_name"],
        "locked": data["locked"],
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": mastodon_datetime(joined),
        "note": note_html(data["bio"], request=request),
        "url": account_url(data["username"], request=request),
        "uri": account_uri(data["username"], request=request),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": data["followers_count"],
        "following_count": data["following_count"],
        "statuses_count": data["statuses_count"],
        "last_status_at": data["last_status_at"],
        "hide_collections": data["locked"],
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": _fields(data),
    }


def account_entity(user: User, *, request, last_status_at: datetime | None) -> dict:
    """``user`` loaded with its profile."""
    return account_render(account_data(user, last_status_at=last_status_at), request=request)


def account_entities(users: Iterable[User], *, request) -> list[dict]:
    """Accounts of users loaded with their profiles, in their order (one query for all)."""
    users = list(users)
    last = last_status_days(user.pk for user in users)
    return [account_entity(user, request=request, last_status_at=last.get(user.pk)) for user in users]


def _account_data_load(user_ids: set[int]) -> dict[int, dict]:
    users = list(user_list_active().filter(pk__in=user_ids))
    last = last_status_days(user.pk for user in users)
    return {user.pk: account_data(user, last_status_at=last.get(user.pk)) for user in users}


def account_lookup(user_ids: Iterable[int]) -> Lookup:
    """The cached data of these (active) users' accounts (:func:`account_data`), up to
    ``ACCOUNT_CACHE_SECONDS`` old and dropped whenever the account, its profile, its follows or its
    posts change (see :mod:`mastodon_api.handlers`); the missing ones in two queries whatever their
    number. For :func:`.common.cached_many`, with a page's other cached facts."""
    return Lookup(ACCOUNT_CACHE_PREFIX, frozenset(user_ids), _account_data_load, ACCOUNT_CACHE_SECONDS)


def accounts_of(data: dict[int, dict], *, request) -> dict[int, dict]:
    """The Account entities of an :func:`account_lookup`'s data, by id."""
    return {user_id: account_render(value, request=request) for user_id, value in data.items()}


def accounts_by_id(user_ids: Iterable[int], *, request) -> dict[int, dict]:
    """The accounts of these (active) users by id, as the statuses and notifications of a page embed
    them (see :func:`account_lookup`)."""
    (data,) = cached_many(account_lookup(user_ids))
    return accounts_of(data, request=request)


def accounts_forget(user_ids: Iterable[int]) -> None:
    """These accounts changed: their cached data goes."""
    cache.delete_many([ACCOUNT_CACHE_PREFIX + str(user_id) for user_id in set(user_ids)])


def source_entity(user: User, *, follow_requests_count: int) -> dict:
    """CredentialAccount's ``source``: the profile as its owner wrote it."""
    profile = user.profile
    fields = []
    if profile.website:
        fields.append({"name": "Website", "value": profile.website, "verified_at": None})
    if profile.location:
        fields.append({"name": "Location", "value": profile.location, "verified_at": None})
    return {
        "note": profile.bio,
        "fields": fields,
        "privacy": "private" if profile.is_protected else "public",
        "sensitive": False,
        "language": "",
        "follow_requests_count": follow_requests_count,
        "hide_collections": profile.is_protected,
        "discoverable": True,
        "indexable": True,
    }


# Mastodon's role of every account (``@everyone``): no permissions of its own.
EVERYONE_ROLE = {"id": "-99", "name": "", "color": "", "permissions": "0", "highlighted": False}
