"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

import pytest
from oauth2_provider.models import get_application_model

from mastodon_api.models import MastodonApp
from mastodon_api.oauth_server import vapid_public_key

pytestmark = pytest.mark.django_db

CREDENTIAL_KEYS = {
    "id",
    "name",
    "website",
    "scopes",
    "redirect_uri",
    "redirect_uris",
    "vapid_key",
    "client_id",
    "client_secret",
    "client_secret_expires_at",
}


def register(client, **fields):
    body = {"client_name": "My client", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", **fields}
    return client.post("/api/v1/apps", body, format="json")


def test_register_returns_the_credential_application(api_client):
    response = register(api_client, scopes="read write push", website="https://app.example")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CREDENTIAL_KEYS
    application = get_application_model().objects.get()
    assert body["id"] == str(application.pk)
    assert body["name"] == "My client"
    assert body["website"] == "https://app.example"
    assert body["scopes"] == ["read", "write", "push"]
    assert body["redirect_uri"] == "urn:ietf:wg:oauth:2.0:oob"
    assert body["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob"]
    assert body["client_id"] == application.client_id
    assert body["client_secret_expires_at"] == 0
    assert body["vapid_key"] == vapid_public_key()
    # The secret is stored hashed only.
    assert body["client_secret"] and application.client_secret != body["client_secret"]
    assert application.client_type == "confidential"
    assert MastodonApp.objects.get(application=application).scopes == "read write push"


def test_scopes_default_to_read_and_website_to_null(api_client):
    body = register(api_client).json()
    assert body["scopes"] == ["read"]
    assert body["website"] is None


def test_several_redirect_uris_as_a_string_or_an_array(api_client):
    body = register(api_client, redirect_uris="https://app.example/cb\nmyapp://oauth").json()
    assert body["redirect_uris"] == ["https://app.example/cb", "myapp://oauth"]
    assert body["redirect_uri"] == "https://app.example/cb\nmyapp://oauth"
    body = register(api_client, redirect_uris=["https://app.example/cb", "urn:ietf:wg:oauth:2.0:oob"]).json()
    assert body["redirect_uris"] == ["https://app.example/cb", "urn:ietf:wg:oauth:2.0:oob"]


def test_form_data_is_accepted(api_client):
    response = api_client.post(
        "/api/v1/apps",
        {"client_name": "Form", "redirect_uris[]": ["https://a.example/cb", "https://b.example/cb"], "scopes": "read"},
        format="multipart",
    )
    assert response.status_code == 200
    assert response.json()["redirect_uris"] == ["https://a.example/cb", "https://b.example/cb"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scopes": "read launch:missiles"}, "Scopes are invalid: launch:missiles"),
        ({"redirect_uris": "not a uri"}, "Redirect uris must be an absolute URI."),
        ({"redirect_uris": "javascript:alert(1)"}, "Redirect uris must be an absolute URI."),
        ({"redirect_uris": "https://app.example/cb#fragment"}, "Redirect uris must be an absolute URI."),
        ({"redirect_uris": ""}, "Redirect uris can't be blank"),
        ({"client_name": ""}, "Client name This field may not be blank."),
        ({"client_name": "x" * 61}, "Client name Ensure this field has no more than 60 characters."),
        ({"website": "not a url"}, "Website Enter a valid URL."),
    ],
)
def test_invalid_registration_is_422(api_client, fields, message):
    response = register(api_client, **fields)
    assert response.status_code == 422
    assert response.json() == {"error": f"Validation failed: {message}"}
    assert not get_application_model().objects.exists()


def test_registration_is_throttled(api_client, settings):
    settings.THROTTLE_RATE_ANON = "20/min"  # two registrations a minute per address
    assert [register(api_client).status_code for _ in range(3)] == [200, 200, 429]


def test_verify_credentials_with_an_app_token(api_client, token_for_app):
    app, token = token_for_app(scope="write")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(app.pk),
        "name": "My client",
        "website": None,
        "scopes": ["read", "write"],
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob"],
        "vapid_key": vapid_public_key(),
    }


def test_verify_credentials_with_a_user_token(mastodon_client, user, oauth_app):
    response = mastodon_client(user, "read").get("/api/v1/apps/verify_credentials")
    assert response.status_code == 200
    assert response.json()["name"] == oauth_app.name
    assert response.json()["scopes"] == ["read"]


def test_verify_credentials_without_or_with_a_bad_token_is_401(api_client):
    assert api_client.get("/api/v1/apps/verify_credentials").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nope")
    response = api_client.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
