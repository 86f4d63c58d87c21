"""What every entity shares: times as Mastodon writes them and the site's public URLs.

Public URLs follow Mastodon's shapes: an account's page ``/@username``, a status's
``/@username/<id>``, a hashtag's ``/tags/<name>``; the ActivityPub ids (``uri``) ``/users/username``
and ``/users/username/statuses/<id>``. These pages are not served: they answer 404 (the site serves
its API, and the single-page front end where one is configured)."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import quote

from django.core.cache import cache

from mini_twitter.api.serializers import absolute_url, site_of

from ..content import render_html

# Facts that never change once written (who wrote a post, when a retweet was made) stay cached a day.
FACT_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Lookup:
    """Cached values of one kind for :func:`cached_many`: ``{id: value}`` under ``prefix + id``, the
    missing ones loaded by ``load(ids)`` (one query for all) and cached ``seconds``."""

    prefix: str
    ids: frozenset[int]
    load: Callable[[set[int]], dict[int, object]]
    seconds: int = FACT_CACHE_SECONDS


def cached_many(*lookups: Lookup) -> list[dict[int, object]]:
    """Each lookup's ``{id: value}``, in their order, in one cache read for all (a page's accounts
    and facts are one round trip), the missing ones loaded and cached."""
    keys = [lookup.prefix + str(i) for lookup in lookups for i in lookup.ids]
    found = cache.get_many(keys) if keys else {}
    results = []
    to_cache: dict[int, dict[str, object]] = defaultdict(dict)
    for lookup in lookups:
        values = {}
        for i in lookup.ids:
            key = lookup.prefix + str(i)
            if key in found:
                values[i] = found[key]
        missing = lookup.ids - values.keys()
        if missing:
            loaded = lookup.load(set(missing))
            to_cache[lookup.seconds].update((lookup.prefix + str(i), value) for i, value in loaded.items())
            values.update(loaded)
        results.append(values)
    for seconds, values in to_cache.items():
        if values:
            cache.set_many(values, seconds)
    return results


def mastodon_datetime(value: datetime | str | None) -> str | None:
    """``2024-01-31T12:34:56.789Z``; a string is the native representation of a time."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == 27 and value[19] == "." and value[26] == "Z":
            return value[:23] + "Z"  # the native UTC form with microseconds: cut to milliseconds
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


@lru_cache(maxsize=65536)
def _quoted(name: str) -> str:
    return quote(name)


def account_url(username: str, *, request) -> str:
    return f"{site_root(request)}/@{_quoted(username)}"


def account_uri(username: str, *, request) -> str:
    return f"{site_root(request)}/users/{_quoted(username)}"


def status_url(username: str, status_id: int | str, *, request) -> str:
    return f"{site_root(request)}/@{_quoted(username)}/{status_id}"


def status_uri(username: str, status_id: int | str, *, request) -> str:
    return f"{site_root(request)}/users/{_quoted(username)}/statuses/{status_id}"


def tag_path(name: str) -> str:
    return f"/tags/{_quoted(name.lower())}"


def tag_url(name: str, *, request) -> str:
    return site_root(request) + tag_path(name)


def site_root(request) -> str:
    """The site's address for ``request`` (``https://host``), "" without one. The paths above are
    quoted, hence plain: the site prefixes them as :func:`absolute_url` would."""
    return site_of(request) if request is not None else ""


@lru_cache(maxsize=8192)
def _text_html(text: str, mentions: tuple[tuple[str, str], ...], site: str) -> str:
    return render_html(text, mentions=mentions, tag_url=lambda name: site + tag_path(name))


def text_html(text: str, *, mentions: Iterable[tuple[str, str]] = (), request) -> str:
    """A post's content or a bio as Mastodon's HTML (:func:`mastodon_api.content.render_html`), its
    hashtags linked on the request's site; the same text on the same site is rendered once per
    process (a warm timeline shows the same posts to many readers)."""
    return _text_html(text, tuple(mentions), site_root(request))
