"""Bearer tokens of the Mastodon API: django-oauth-toolkit's access tokens, never the native API's
JWTs (and the native API never takes these)."""

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed


def token_offered(request) -> bool:
    """Did the client send a token at all (header, or the ``access_token`` query parameter)?"""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return header.lower().startswith("bearer ") or "access_token" in request.GET


class MastodonTokenAuthentication(OAuth2Authentication):
    """A token that was sent must be valid, even on a public endpoint (Mastodon answers 401); a token
    whose user is suspended or deleted is invalid; an app's own token (client credentials)
    authenticates the app with no user."""

    www_authenticate_realm = "Doorkeeper"

    def authenticate(self, request):
        result = super().authenticate(request)
        user, token = result if result is not None else (None, None)
        if token is None or (user is not None and not user.is_active):
            if token_offered(request):
                request.oauth2_error = {"error": "invalid_token"}
                raise AuthenticationFailed("The access token is invalid")
            return None
        return (user or AnonymousUser()), token
