"""OAuth 2 as Mastodon serves it: the sign-in and consent pages, the token grants (authorization
code with PKCE, client credentials, password), revocation and the server's metadata."""

import base64
import hashlib
import re
import secrets
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://app.example/callback"


@pytest.fixture
def account(db):
    return UserFactory(username="alice", email="Alice@Example.com", password=PASSWORD)


@pytest.fixture
def app(registered_app):
    """An app allowed ``read write``, redirecting to CALLBACK, oob, or a custom scheme."""
    return registered_app(scopes="read write", redirect_uris=(CALLBACK, OOB, "myapp://oauth"))


def token_request(client, **fields):
    return client.post("/oauth/token", urlencode(fields), content_type="application/x-www-form-urlencoded")


def password_grant(client, app, username, password=PASSWORD, **fields):
    application, secret = app
    return token_request(
        client,
        grant_type="password",
        client_id=application.client_id,
        client_secret=secret,
        username=username,
        password=password,
        **fields,
    )


def assert_token_body(response, scope: str) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"access_token", "token_type", "scope", "created_at"}
    assert body["token_type"] == "Bearer"
    assert body["scope"] == scope
    assert isinstance(body["created_at"], int)
    return body["access_token"]


# --- Password grant ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["alice@example.com", "ALICE@example.COM", "alice", "Alice"])
def test_password_grant_with_email_or_username(client, app, account, username):
    token = assert_token_body(password_grant(client, app, username, scope="read write"), "read write")
    stored = get_access_token_model().objects.get()
    assert stored.user == account
    assert stored.token != token  # kept as a hash only
    assert not get_refresh_token_model().objects.exists()  # Mastodon issues no refresh tokens


def test_password_grant_without_scope_gets_read(client, app, account):
    assert_token_body(password_grant(client, app, "alice"), "read")


def test_password_grant_accepts_a_json_body(client, app, account):
    application, secret = app
    response = client.post(
        "/oauth/token",
        {
            "grant_type": "password",
            "client_id": application.client_id,
            "client_secret": secret,
            "username": "alice@example.com",
            "password": PASSWORD,
            "scope": ["read", "write"],
        },
        content_type="application/json",
    )
    assert_token_body(response, "read write")


def test_password_grant_with_client_basic_auth(client, app, account):
    application, secret = app
    basic = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    response = client.post(
        "/oauth/token",
        urlencode({"grant_type": "password", "username": "alice", "password": PASSWORD}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert_token_body(response, "read")


def test_wrong_password_is_invalid_grant(client, app, account):
    response = password_grant(client, app, "alice", "wrong password")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert not get_access_token_model().objects.exists()


def test_suspended_user_is_refused(client, app, account):
    account.is_active = False
    account.save()
    response = password_grant(client, app, "alice@example.com")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_unknown_client_and_wrong_secret_are_invalid_client(client, app, account):
    application, _secret = app
    response = password_grant(client, (application, "not-the-secret"), "alice")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()
    response = token_request(
        client, grant_type="password", client_id="nope", client_secret="x", username="alice", password=PASSWORD
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_scope_outside_the_apps_scopes_is_invalid_scope(client, app, account):
    for scope in ("read write follow", "push", "read:statuses", "nonsense"):
        response = password_grant(client, app, "alice", scope=scope)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


def test_unsupported_grant_type(client, app):
    application, secret = app
    response = token_request(client, grant_type="urn:custom", client_id=application.client_id, client_secret=secret)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_password_grant_is_throttled_per_account(client, app, account, settings):
    settings.THROTTLE_RATE_ANON = "30/min"  # three guesses a minute
    statuses = [password_grant(client, app, "alice", "wrong").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    response = password_grant(client, app, "alice")
    assert response.status_code == 429
    assert response.json() == {"error": "Request was throttled. Expected available in 60 seconds."}
    assert response["Retry-After"]


# --- Client credentials ----------------------------------------------------------------------------


def test_client_credentials_grant_gives_an_app_token(client, app):
    application, secret = app
    response = token_request(
        client, grant_type="client_credentials", client_id=application.client_id, client_secret=secret, scope="read"
    )
    assert_token_body(response, "read")
    assert get_access_token_model().objects.get().user is None


# --- Authorization code ----------------------------------------------------------------------------


def authorize_url(application, *, redirect_uri=CALLBACK, scope="read write", **extra) -> str:
    query = {"client_id": application.client_id, "redirect_uri": redirect_uri, "response_type": "code", "scope": scope}
    return "/oauth/authorize?" + urlencode({**query, **extra})


def hidden_fields(html: str) -> dict:
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in fields}


def sign_in_and_consent(client: Client, url: str, *, allow: bool = True, identifier: str = "alice@example.com"):
    """Open the authorization URL in a browser: sign in, then press Authorize (or Deny)."""
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/sign_in?next=")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b'name="password"' in page.content
    response = client.post(
        response["Location"],
        {"username": identifier, "password": PASSWORD, "next": hidden_fields(page.content.decode())["next"]},
    )
    assert response.status_code == 302
    consent = client.get(response["Location"])
    assert consent.status_code == 200
    fields = hidden_fields(consent.content.decode())
    if allow:
        fields["allow"] = "Authorize"
    return consent, client.post(url, fields)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def code_from(response) -> str:
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" in (CALLBACK, "myapp://oauth")
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(client, app, code, *, redirect_uri=CALLBACK, **fields):
    application, secret = app
    return token_request(
        client,
        grant_type="authorization_code",
        code=code,
        client_id=application.client_id,
        client_secret=secret,
        redirect_uri=redirect_uri,
        **fields,
    )


def test_authorization_code_flow_with_pkce(client, app, account):
    application, _secret = app
    verifier, challenge = pkce_pair()
    url = authorize_url(
        application, state="xyz", code_challenge=challenge, code_challenge_method="S256", force_login="true"
    )
    consent, response = sign_in_and_consent(client, url)
    page = consent.content.decode()
    assert "Authorize My client?" in page
    assert "<code>read</code>: read all your data" in page
    assert "<code>write</code>: modify all your data" in page
    assert "@alice" in page
    code = code_from(response)
    token = assert_token_body(exchange(client, app, code, code_verifier=verifier), "read write")
    assert get_access_token_model().objects.get().user == account
    # A code is used once.
    assert exchange(Client(), app, code, code_verifier=verifier).json()["error"] == "invalid_grant"
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/apps/verify_credentials").json()["name"] == "My client"


def test_bad_pkce_verifier_is_invalid_grant(client, app, account):
    application, _secret = app
    _verifier, challenge = pkce_pair()
    url = authorize_url(application, state="xyz", code_challenge=challenge, code_challenge_method="S256")
    code = code_from(sign_in_and_consent(client, url)[1])
    response = exchange(client, app, code, code_verifier=secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    response = exchange(client, app, code)
    assert response.status_code == 400


def test_plain_pkce_is_refused(client, app, account):
    application, _secret = app
    url = authorize_url(application, state="xyz", code_challenge="a" * 43, code_challenge_method="plain")
    response = sign_in_and_consent(client, url)[1]
    assert response.status_code == 302
    assert not get_grant_model().objects.exists()
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_request"]


def test_authorization_code_without_pkce_and_to_a_custom_scheme(client, app, account):
    application, _secret = app
    url = authorize_url(application, redirect_uri="myapp://oauth", scope="read", state="xyz")
    code = code_from(sign_in_and_consent(client, url, identifier="alice")[1])
    assert_token_body(exchange(client, app, code, redirect_uri="myapp://oauth"), "read")


def test_wrong_redirect_uri_at_exchange_is_refused(client, app, account):
    application, _secret = app
    code = code_from(sign_in_and_consent(client, authorize_url(application, state="xyz"))[1])
    response = exchange(client, app, code, redirect_uri="myapp://oauth")
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_grant", "invalid_request")
    assert not get_access_token_model().objects.exists()


def test_unregistered_redirect_uri_is_an_error_page_not_a_redirect(client, app, account):
    application, _secret = app
    client.force_login(account)
    response = client.get(authorize_url(application, redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert b"Authorization failed" in response.content
    assert "Location" not in response


def test_unknown_client_is_an_error_page(client, account):
    client.force_login(account)
    response = client.get(
        "/oauth/authorize?" + urlencode({"client_id": "nope", "response_type": "code", "redirect_uri": OOB})
    )
    assert response.status_code in (400, 401)
    assert b"Authorization failed" in response.content


def test_scope_not_allowed_for_the_app_goes_back_as_invalid_scope(client, app, account):
    application, _secret = app
    client.force_login(account)
    response = client.get(authorize_url(application, scope="read follow", state="xyz"))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]


def test_deny_goes_back_as_access_denied(client, app, account):
    application, _secret = app
    _consent, response = sign_in_and_consent(client, authorize_url(application, state="xyz"), allow=False)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["xyz"]
    assert not get_grant_model().objects.exists()


def test_oob_shows_the_code_on_a_page(client, app, account):
    application, _secret = app
    _consent, response = sign_in_and_consent(client, authorize_url(application, redirect_uri=OOB, scope="read"))
    assert response.status_code == 200
    code = re.search(r'<code class="grant" id="authorization_code">([^<]+)</code>', response.content.decode())[1]
    assert_token_body(exchange(client, app, code, redirect_uri=OOB), "read")


def test_sign_in_with_a_wrong_password_shows_the_form_again(client, account):
    response = client.post("/auth/sign_in", {"username": "alice", "password": "wrong", "next": "/oauth/authorize"})
    assert response.status_code == 401
    assert b"Invalid email or password." in response.content
    assert "_auth_user_id" not in client.session


def test_suspended_user_cannot_sign_in(client, account):
    account.is_active = False
    account.save()
    response = client.post("/auth/sign_in", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 401


def test_sign_in_never_redirects_off_site(client, account):
    response = client.post(
        "/auth/sign_in", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/oauth/authorize"


def test_sign_in_is_throttled(client, account, settings):
    settings.THROTTLE_RATE_ANON = "30/min"
    statuses = [client.post("/auth/sign_in", {"username": "alice", "password": "x"}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_sign_in_needs_csrf(account):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/auth/sign_in", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


# --- Revocation --------------------------------------------------------------------------------------


def test_revoked_token_is_401(client, app, account):
    application, secret = app
    token = assert_token_body(password_grant(client, app, "alice"), "read")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/apps/verify_credentials").status_code == 200
    response = client.post(
        "/oauth/revoke",
        {"client_id": application.client_id, "client_secret": secret, "token": token},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert not get_access_token_model().objects.exists()
    response = api.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_revoke_of_an_unknown_token_is_200(client, app):
    application, secret = app
    response = client.post(
        "/oauth/revoke",
        urlencode({"client_id": application.client_id, "client_secret": secret, "token": "nope"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200


def test_revoke_with_a_wrong_secret_is_refused_and_keeps_the_token(client, app, account):
    application, _secret = app
    token = assert_token_body(password_grant(client, app, "alice"), "read")
    response = client.post(
        "/oauth/revoke",
        urlencode({"client_id": application.client_id, "client_secret": "wrong", "token": token}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert get_access_token_model().objects.exists()


def test_another_apps_token_is_not_revoked(client, app, registered_app, account):
    token = assert_token_body(password_grant(client, app, "alice"), "read")
    other, other_secret = registered_app(name="Other")
    client.post(
        "/oauth/revoke",
        urlencode({"client_id": other.client_id, "client_secret": other_secret, "token": token}),
        content_type="application/x-www-form-urlencoded",
    )
    assert get_access_token_model().objects.count() == 1


# --- Metadata ----------------------------------------------------------------------------------------


def test_authorization_server_metadata(client, settings):
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "issuer": "http://testserver/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": "http://testserver/oauth/authorize",
        "token_endpoint": "http://testserver/oauth/token",
        "app_registration_endpoint": "http://testserver/api/v1/apps",
        "revocation_endpoint": "http://testserver/oauth/revoke",
        "scopes_supported": list(settings.MASTODON_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    assert {"read", "write", "follow", "push", "read:statuses", "write:media"} <= set(body["scopes_supported"])


def test_a_body_that_is_not_json_is_an_oauth_error(client):
    response = client.post("/oauth/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_request", "unsupported_grant_type")
    assert response.json()["error_description"]
