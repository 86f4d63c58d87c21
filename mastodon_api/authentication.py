"""Bearer tokens of the Mastodon API: django-oauth-toolkit's access tokens, never the native API's
JWTs (and the native API never takes these)."""

import hashlib

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import AbstractApplication, get_access_token_model, get_application_model
from rest_framework.exceptions import AuthenticationFailed


def bearer_token(request) -> str | None:
    """The token of the ``Authorization: Bearer`` header, else of the ``access_token`` query parameter."""
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    return request.GET.get("access_token") or None


def token_offered(request) -> bool:
    """Did the client send a token at all?"""
    return bearer_token(request) is not None


def access_token_get(raw: str):
    """The stored access token for ``raw``, with its user: found by its checksum, as
    django-oauth-toolkit stores and finds it (the token itself is never stored)."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    try:
        return get_access_token_model().objects.select_related("user").get(token_checksum=checksum)
    except ObjectDoesNotExist:
        return None


def _application_usable(token, request) -> bool:
    # Only an application model that restricts its use needs loading (the default one never does).
    if get_application_model().is_usable is AbstractApplication.is_usable or token.application_id is None:
        return True
    return token.application.is_usable(request)


class MastodonTokenAuthentication(OAuth2Authentication):
    """A token that was sent must be valid, even on a public endpoint (Mastodon answers 401); a token
    whose user is suspended or deleted is invalid; an app's own token (client credentials)
    authenticates the app with no user.

    The token (``Authorization: Bearer``, or the ``access_token`` query parameter) is checked with
    django-oauth-toolkit's own model and checks (its checksum, ``is_valid``: not expired, the
    application ``is_usable``) without building an oauthlib request for every API call; a token
    bound to a resource (RFC 8707) goes through django-oauth-toolkit's full validation."""

    www_authenticate_realm = "Doorkeeper"

    def authenticate(self, request):
        raw = bearer_token(request)
        if raw is None:
            return None
        token = access_token_get(raw)
        if token is not None and token.resource:
            result = super().authenticate(request)
            token = result[1] if result is not None else None
        elif token is not None and not (token.is_valid() and _application_usable(token, request)):
            token = None
        user = token.user if token is not None else None
        if token is None or (user is not None and not user.is_active):
            request.oauth2_error = {"error": "invalid_token"}
            raise AuthenticationFailed("The access token is invalid")
        return (user or AnonymousUser()), token
