"""Fixtures of the Mastodon API's tests: real OAuth applications and access tokens."""

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value
from rest_framework.test import APIClient


@pytest.fixture
def oauth_app(db):
    return get_application_model().objects.create(
        name="Test client",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
        skip_authorization=False,
    )


@pytest.fixture
def mastodon_token(oauth_app):
    """``mastodon_token(user, "read write")`` → an access token string (``user=None``: an app token)."""

    def make(user, scope: str = "read write follow push") -> str:
        token = secrets.token_urlsafe(32)
        access_token = get_access_token_model()(
            user=user, application=oauth_app, scope=scope, expires=timezone.now() + timedelta(days=1)
        )
        set_token_value(access_token, token)
        access_token.save()
        return token

    return make


@pytest.fixture
def mastodon_client(mastodon_token):
    """``mastodon_client(user, scope)`` → an APIClient sending that user's bearer token; anonymous
    when ``user`` is omitted."""

    def make(user=None, scope: str = "read write follow push", *, app_token: bool = False) -> APIClient:
        client = APIClient()
        if user is not None or app_token:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {mastodon_token(user, scope)}")
        client.user = user
        return client

    return make
