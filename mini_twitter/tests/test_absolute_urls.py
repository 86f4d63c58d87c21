"""The one rule for absolute URLs: a plain path takes the request's site (found once per request),
anything else goes through Django's ``build_absolute_uri``; both give the same URL."""

import pytest
from django.test import RequestFactory

from mini_twitter.api.serializers import absolute_url

PATHS = [
    "/media/avatars/a.png",
    "/media/a b.png",
    "/@jo%C3%A9/12",
    "/@é/1",
    "/tags/abc",
    "//elsewhere.example/x",
    "/a/../b",
    "/a/./b",
    "/static/x.png?v=1#top",
    "/x<y",
    "/",
]


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_absolute_url_is_django_s_absolute_uri(settings, secure, path):
    settings.ALLOWED_HOSTS = ["example.com"]
    request = RequestFactory().get("/", secure=secure, HTTP_HOST="example.com:8443")
    assert absolute_url(path, request=request) == request.build_absolute_uri(path)


def test_absolute_url_without_a_request_or_url():
    assert absolute_url("/media/a.png") == "/media/a.png"
    assert absolute_url(None, request=RequestFactory().get("/")) is None
