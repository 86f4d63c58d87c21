"""Mastodon's routes (Rails) match with or without a trailing slash, and clients send both
(Mastodon.py asks for ``/api/v1/instance/``, toot opens ``/oauth/authorize/``): a Mastodon path
with a trailing slash that no route takes is served by its route without the slash."""

from django.urls import Resolver404, resolve

MASTODON_PREFIXES = ("/api/v1/", "/api/v2/", "/oauth/", "/.well-known/", "/nodeinfo/")


def has_route(path: str, urlconf=None) -> bool:
    """Is ``path`` served by a route of its own (not the front end's catch-all)?"""
    try:
        match = resolve(path, urlconf=urlconf)
    except Resolver404:
        return False
    return match.url_name != "frontend"


class TrailingSlashMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.endswith("/") and path.startswith(MASTODON_PREFIXES):
            urlconf = getattr(request, "urlconf", None)
            stripped = path.rstrip("/")
            if stripped and not has_route(path, urlconf) and has_route(stripped, urlconf):
                request.path = request.path[: len(request.path) - (len(path) - len(stripped))]
                request.path_info = stripped
        return self.get_response(request)
