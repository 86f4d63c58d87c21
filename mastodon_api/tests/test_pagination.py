"""Mastodon's pagination parameters and Link header."""

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from mastodon_api.pagination import PageParams, link_header, page_params, paginate
from posts.models import Post
from posts.tests.factories import PostFactory


def request_for(query: dict) -> Request:
    return Request(APIRequestFactory().get("/api/v1/timelines/public", query))


@pytest.mark.parametrize(
    ("limit", "expected"), [(None, 20), ("5", 5), ("40", 40), ("41", 40), ("0", 20), ("-3", 20), ("x", 20)]
)
def test_limit_defaults_and_is_clamped(limit, expected):
    query = {} if limit is None else {"limit": limit}
    assert page_params(request_for(query)).limit == expected


def test_ids_that_are_no_ids_are_invalid():
    assert page_params(request_for({"max_id": "7", "min_id": ""})) == PageParams(limit=20, max_id=7)
    with pytest.raises(ValidationError):
        page_params(request_for({"since_id": "-1"}))


@pytest.mark.django_db
def test_max_since_and_min_id():
    posts = [PostFactory().pk for _ in range(6)]
    qs = Post.objects.all()

    def page(**kwargs):
        return [p.pk for p in paginate(qs, PageParams(**{"limit": 2, **kwargs}))]

    assert page() == [posts[5], posts[4]]
    assert page(max_id=posts[4]) == [posts[3], posts[2]]
    # since_id: the newest page above it; min_id: the page just above it, newest first.
    assert page(since_id=posts[1]) == [posts[5], posts[4]]
    assert page(min_id=posts[1]) == [posts[3], posts[2]]
    assert page(min_id=posts[1], max_id=posts[3]) == [posts[2]]


def test_link_header_next_only_when_full_and_keeps_other_parameters():
    request = request_for({"limit": "2", "only_media": "true", "max_id": "99"})
    header = link_header(request, ids=[9, 8], limit=2)
    assert header == (
        '<http://testserver/api/v1/timelines/public?limit=2&only_media=true&max_id=8>; rel="next", '
        '<http://testserver/api/v1/timelines/public?limit=2&only_media=true&min_id=9>; rel="prev"'
    )
    assert link_header(request, ids=[9], limit=2) == (
        '<http://testserver/api/v1/timelines/public?limit=2&only_media=true&min_id=9>; rel="prev"'
    )
    assert link_header(request, ids=[], limit=2) is None
