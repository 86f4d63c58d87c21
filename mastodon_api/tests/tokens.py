"""Access tokens for tests outside this app's fixtures (the read paths of posts/tests)."""

import secrets
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value


def token_issue(user, *, application, scope: str) -> str:
    """A new access token of ``user`` (None: the app's own) for ``application``, stored hashed."""
    token = secrets.token_urlsafe(32)
    access_token = get_access_token_model()(
        user=user, application=application, scope=scope, expires=timezone.now() + timedelta(days=1)
    )
    set_token_value(access_token, token)
    access_token.save()
    return token


def issue_token(user, scope: str = "read write follow push") -> str:
    """A fresh application and an access token of ``user`` for it."""
    app = get_application_model().objects.create(
        name="Test client",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="urn:ietf:wg:oauth:2.0:oob",
    )
    return token_issue(user, application=app, scope=scope)


def mastodon_ids(response) -> list[int]:
    """The ids of the statuses (or accounts) a 200 response of the Mastodon API lists, in order."""
    assert response.status_code == 200, response.content
    return [int(row["id"]) for row in response.json()]
