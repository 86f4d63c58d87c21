"""Who is streaming: the Mastodon API's bearer tokens, checked by the same authentication class as
its REST views, and the scopes each stream needs (Mastodon's streaming server answers 401 with
``{"error": ...}`` for a missing, invalid or insufficient token alike; app tokens, which have no
user, are invalid here as there)."""

import io
from dataclasses import dataclass

from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ..authentication import MastodonTokenAuthentication, token_offered
from ..scopes import scopes_granted

READ_STATUSES = ("read", "read:statuses")
READ_NOTIFICATIONS = ("read", "read:notifications")


class StreamRefused(Exception):
    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class Streamer:
    user: object
    token_id: int
    scopes: frozenset[str]
    # A Django request for the connection: file and page URLs are made absolute for its site.
    request: ASGIRequest

    def may(self, required: tuple[str, ...]) -> bool:
        return scopes_granted(self.scopes, required)


def connection_request(scope: dict, *, token: str | None = None) -> ASGIRequest:
    """A Django request for an HTTP or WebSocket connection's scope (``token``: a bearer token sent
    another way, such as the ``Sec-WebSocket-Protocol`` header)."""
    headers = list(scope.get("headers", []))
    if token:
        headers = [(name, value) for name, value in headers if name.lower() != b"authorization"]
        headers.append((b"authorization", b"Bearer " + token.encode("latin-1", "replace")))
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
    http_scope = {
        **scope,
        "type": "http",
        "method": "GET",
        "scheme": scheme,
        "headers": headers,
        "query_string": scope.get("query_string", b""),
        "root_path": scope.get("root_path", ""),
    }
    return ASGIRequest(http_scope, io.BytesIO())


def authenticate(request: ASGIRequest) -> Streamer:
    """The streaming user, or :class:`StreamRefused` (sync: it reads the token's row)."""
    try:
        request.get_host()
    except DisallowedHost:
        raise StreamRefused(400, "Bad Request") from None
    if not token_offered(request):
        raise StreamRefused(401, "Missing access token")
    try:
        result = MastodonTokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed:
        result = None
    if result is None or not result[0].is_authenticated:
        raise StreamRefused(401, "Invalid access token")
    user, token = result
    return Streamer(user=user, token_id=token.pk, scopes=frozenset(token.scope.split()), request=request)
