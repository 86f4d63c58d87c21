"""What every entity shares: times as Mastodon writes them and the site's public URLs.

Public URLs follow Mastodon's shapes: an account's page ``/@username``, a status's
``/@username/<id>``, a hashtag's ``/tags/<name>``; the ActivityPub ids (``uri``) ``/users/username``
and ``/users/username/statuses/<id>``. These pages are not served: they answer 404 (the site serves
its API, and the single-page front end where one is configured)."""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import quote

from django.core.cache import cache

from mini_twitter.api.serializers import absolute_url

from ..content import render_html

# Facts that never change once written (who wrote a post, when a retweet was made) stay cached a day.
FACT_CACHE_SECONDS = 24 * 3600


def cached_facts(prefix: str, ids: Iterable[int], load: Callable[[set[int]], dict[int, object]]) -> dict[int, object]:
    """``{id: fact}`` for immutable facts: from the cache, the missing ones by ``load(ids)`` (one
    query for all) and cached."""
    ids = set(ids)
    if not ids:
        return {}
    found = cache.get_many([f"{prefix}{i}" for i in ids])
    facts = {i: found[f"{prefix}{i}"] for i in ids if f"{prefix}{i}" in found}
    missing = ids - facts.keys()
    if missing:
        loaded = load(missing)
        cache.set_many({f"{prefix}{i}": fact for i, fact in loaded.items()}, FACT_CACHE_SECONDS)
        facts.update(loaded)
    return facts


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


def tag_path(name: str) -> str:
    return f"/tags/{quote(name.lower())}"


def tag_url(name: str, *, request) -> str:
    return site_url(tag_path(name), request=request)


def site_root(request) -> str:
    """The site's address for ``request`` (``https://host``), "" without one."""
    return (absolute_url("/", request=request) or "/")[:-1]


@lru_cache(maxsize=8192)
def _text_html(text: str, mentions: tuple[tuple[str, str], ...], site: str) -> str:
    return render_html(text, mentions=mentions, tag_url=lambda name: site + tag_path(name))


def text_html(text: str, *, mentions: Iterable[tuple[str, str]] = (), request) -> str:
    """A post's content or a bio as Mastodon's HTML (:func:`mastodon_api.content.render_html`), its
    hashtags linked on the request's site; the same text on the same site is rendered once per
    process (a warm timeline shows the same posts to many readers)."""
    return _text_html(text, tuple(mentions), site_root(request))
