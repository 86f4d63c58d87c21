"""Mastodon's pagination: ``limit`` (default 20, at most 40 or 80 by endpoint), ``max_id`` (older
than), ``since_id`` (newer than, the newest page), ``min_id`` (the page just newer than it: read
upwards, answered newest first), and the ``Link`` header naming the next (older) page by
``max_id`` and the previous (newer) one by ``min_id``.

The ``Link`` header is Mastodon's: ``next`` only when the page is full, ``prev`` whenever the page
holds something, each keeping the request's other parameters (filters, ``limit``)."""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from mini_twitter.api.ids import parse_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 40
ID_PARAMS = ("max_id", "since_id", "min_id")


@dataclass(frozen=True)
class PageParams:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


def page_params(request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> PageParams:
    """The request's pagination parameters. A ``limit`` beyond the maximum is the maximum (as
    Mastodon clamps it), one that is no positive number is the default; an id that is no id → 422."""
    raw_limit = request.query_params.get("limit")
    try:
        limit = int(raw_limit) if raw_limit not in (None, "") else default
    except ValueError:
        limit = default
    limit = default if limit < 1 else min(limit, maximum)
    ids = {}
    for name in ID_PARAMS:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            continue
        value = parse_id(raw)
        if value is None:
            raise ValidationError({name: ["is invalid"]})
        ids[name] = value
    return PageParams(limit=limit, **ids)


def page_offset(request) -> int:
    """The ``offset`` of the lists Mastodon pages by position (search): no number counts as 0."""
    try:
        return max(0, int(request.query_params.get("offset") or 0))
    except ValueError:
        return 0


def paginate(qs: QuerySet, params: PageParams, *, field: str = "pk") -> list:
    """One page of ``qs`` by the integer ``field`` (newest = greatest), newest first."""
    if params.max_id is not None:
        qs = qs.filter(**{f"{field}__lt": params.max_id})
    if params.since_id is not None:
        qs = qs.filter(**{f"{field}__gt": params.since_id})
    if params.min_id is not None:
        rows = list(qs.filter(**{f"{field}__gt": params.min_id}).order_by(field)[: params.limit])
        rows.reverse()
        return rows
    return list(qs.order_by(f"-{field}")[: params.limit])


def page_url(request, **ids) -> str:
    """This endpoint's URL with the request's other parameters and these pagination ids."""
    kept = [(key, value) for key, value in request.query_params.lists() if key not in ID_PARAMS]
    query = [(key, item) for key, values in kept for item in values] + [(k, str(v)) for k, v in ids.items()]
    return request.build_absolute_uri(request.path) + "?" + urlencode(query)


def link_header(request, *, ids: Sequence[int | str], limit: int) -> str | None:
    """The ``Link`` header of a page whose rows have these pagination ids (newest first)."""
    if not ids:
        return None
    links = []
    if len(ids) >= limit:
        links.append(f'<{page_url(request, max_id=ids[-1])}>; rel="next"')
    links.append(f'<{page_url(request, min_id=ids[0])}>; rel="prev"')
    return ", ".join(links)


def with_link(response, request, *, ids: Sequence[int | str], limit: int):
    header = link_header(request, ids=ids, limit=limit)
    if header:
        response["Link"] = header
    return response
