"""Mastodon's Account (and CredentialAccount's ``source``) from the native users and profiles.

``locked`` is the native ``is_protected``; ``note`` is the bio as HTML; ``fields`` show the
profile's website and location; accounts without an avatar show the site's default avatar, and
every account the default header (there are no headers). ``created_at`` is the day the account
joined, at midnight UTC, as Mastodon gives it."""

from collections.abc import Iterable
from datetime import UTC, datetime, time

from django.db.models import Max
from django.templatetags.static import static

from posts.models import Post
from users.models import User
from users.selectors import user_list_active
from users.serializers import user_short_data_of, user_short_render

from ..content import render_html
from .common import account_uri, account_url, mastodon_date, mastodon_datetime, site_url, tag_url

DEFAULT_AVATAR = "mastodon_api/avatar.png"
DEFAULT_HEADER = "mastodon_api/header.png"


def default_avatar_url(*, request) -> str:
    return site_url(static(DEFAULT_AVATAR), request=request)


def default_header_url(*, request) -> str:
    return site_url(static(DEFAULT_HEADER), request=request)


def note_html(bio: str, *, request) -> str:
    return render_html(bio, tag_url=lambda name: tag_url(name, request=request))


def _fields(user: User, *, request) -> list[dict]:
    profile = user.profile
    fields = []
    if profile.website:
        fields.append(
            {"name": "Website", "value": render_html(profile.website, tag_url=lambda n: ""), "verified_at": None}
        )
    if profile.location:
        fields.append(
            {"name": "Location", "value": render_html(profile.location, tag_url=lambda n: ""), "verified_at": None}
        )
    for field in fields:
        # A field's value is one line: no paragraph around it.
        field["value"] = field["value"].removeprefix("<p>").removesuffix("</p>")
    return fields


def last_status_days(user_ids: Iterable[int]) -> dict[int, datetime]:
    """Each account's newest post's time (one query for all)."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return {}
    rows = Post.objects.filter(author_id__in=user_ids).values("author_id").annotate(last=Max("created_at"))
    return {row["author_id"]: row["last"] for row in rows.order_by()}


def account_entity(user: User, *, request, last_status_at: datetime | None) -> dict:
    """``user`` loaded with its profile."""
    profile = user.profile
    avatar = user_short_render(user_short_data_of(user), request=request)["avatar"] or default_avatar_url(
        request=request
    )
    header = default_header_url(request=request)
    joined = datetime.combine(user.date_joined.astimezone(UTC).date(), time(), tzinfo=UTC)
    return {
        "id": str(user.pk),
        "username": user.username,
        "acct": user.username,
        "display_name": profile.display_name,
        "locked": profile.is_protected,
        "bot": False,
        "discoverable": True,
        "indexable": True,
        "group": False,
        "created_at": mastodon_datetime(joined),
        "note": note_html(profile.bio, request=request),
        "url": account_url(user.username, request=request),
        "uri": account_uri(user.username, request=request),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": profile.followers_count,
        "following_count": profile.following_count,
        "statuses_count": profile.posts_count,
        "last_status_at": mastodon_date(last_status_at),
        "hide_collections": profile.is_protected,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": _fields(user, request=request),
    }


def account_entities(users: Iterable[User], *, request) -> list[dict]:
    """Accounts of users loaded with their profiles, in their order (one query for all)."""
    users = list(users)
    last = last_status_days(user.pk for user in users)
    return [account_entity(user, request=request, last_status_at=last.get(user.pk)) for user in users]


def accounts_by_id(user_ids: Iterable[int], *, request) -> dict[int, dict]:
    """The accounts of these (active) users by id: two queries whatever their number."""
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    users = list(user_list_active().filter(pk__in=user_ids))
    return {int(entity["id"]): entity for entity in account_entities(users, request=request)}


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
