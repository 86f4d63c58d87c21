"""CORS as Mastodon: browser clients on any origin may call the Mastodon API and its token
endpoints (tokens travel in headers, never in cookies, so no credentials are allowed). The native
API keeps its own list of origins (``CORS_ALLOWED_ORIGINS``)."""

import re

MASTODON_CORS_PATHS = re.compile(r"^/(api/v[12]/|oauth/(token|revoke)$|\.well-known/|nodeinfo/)")


def allow_any_origin_on_mastodon_paths(sender, request, **kwargs) -> bool:
    return bool(MASTODON_CORS_PATHS.match(request.path_info))
