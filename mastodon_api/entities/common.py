"""What every entity shares: times as Mastodon writes them and the site's public URLs.

Public URLs follow Mastodon's shapes: an account's page ``/@username``, a status's
``/@username/<id>``, a hashtag's ``/tags/<name>``; the ActivityPub ids (``uri``) ``/users/username``
and ``/users/username/statuses/<id>``. These pages are not served: they answer 404 (the site serves
its API, and the single-page front end where one is configured)."""

from datetime import UTC, date, datetime
from urllib.parse import quote

from mini_twitter.api.serializers import absolute_url


def mastodon_datetime(value: datetime | str | None) -> str | None:
    """``2024-01-31T12:34:56.789Z``; a string is the native representation of a time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def mastodon_date(value: date | datetime | None) -> str | None:
    """A day as Mastodon gives ``last_status_at``: ``2024-01-31``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return value.isoformat()


def site_url(path: str, *, request) -> str:
    return absolute_url(path, request=request)


def account_url(username: str, *, request) -> str:
    return site_url(f"/@{quote(username)}", request=request)


def account_uri(username: str, *, request) -> str:
    return site_url(f"/users/{quote(username)}", request=request)


def status_url(username: str, status_id: int | str, *, request) -> str:
    return site_url(f"/@{quote(username)}/{status_id}", request=request)


def status_uri(username: str, status_id: int | str, *, request) -> str:
    return site_url(f"/users/{quote(username)}/statuses/{status_id}", request=request)


def tag_url(name: str, *, request) -> str:
    return site_url(f"/tags/{quote(name.lower())}", request=request)
