"""Fixtures of the Mastodon API's tests: real OAuth applications and access tokens."""

import pytest
from oauth2_provider.models import get_application_model
from rest_framework.test import APIClient

from .tokens import token_issue


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
        return token_issue(user, application=oauth_app, scope=scope)

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


@pytest.fixture
def registered_app(db):
    """``registered_app(scopes=..., redirect_uris=[...])`` → ``(application, client_secret)`` of an app
    registered as ``POST /api/v1/apps`` does."""
    from mastodon_api.oauth_server import app_create

    def make(*, scopes: str = "read write", redirect_uris=("urn:ietf:wg:oauth:2.0:oob",), name: str = "My client"):
        return app_create(name=name, redirect_uris=list(redirect_uris), scopes=scopes.split())

    return make


@pytest.fixture
def token_for_app(registered_app):
    """``token_for_app(scope=...)`` → ``(application, token)``: an app's own token, from the client
    credentials grant of ``POST /oauth/token``."""

    def make(*, scope: str = "read", app_scopes: str = "read write"):
        application, secret = registered_app(scopes=app_scopes)
        response = APIClient().post(
            "/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": application.client_id,
                "client_secret": secret,
                "scope": scope,
            },
            format="multipart",
        )
        assert response.status_code == 200, response.content
        return application, response.json()["access_token"]

    return make


@pytest.fixture(scope="session")
def mastodon_server(django_db_setup, django_db_blocker):
    """The production web and stream servers on one origin (as behind nginx), on the test database
    and Redis, for real Mastodon clients (tests/support/mastodon.py); its base URL, one for the run. Skipped without
    PostgreSQL and Redis, except in CI."""
    from tests.support import LiveServices, skip_unless_available
    from tests.support.mastodon import mastodon_web_server

    services = LiveServices()
    skip_unless_available(services.unavailable_reason(), "the Mastodon client tests")
    with mastodon_web_server(services) as server:
        yield server.base
