"""Real Mastodon clients against the production web server: Mastodon.py (apps, the password and
authorization code grants, PKCE, revocation, the instance and version checks) and the ``toot``
command line. Run these alone with ``pytest -m web_server``."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from mastodon import Mastodon, MastodonIllegalArgumentError, MastodonUnauthorizedError
from oauth2_provider.models import get_access_token_model, get_application_model

from mastodon_api.middleware import has_route
from tests.support.mastodon import (
    authorization_code_from_page,
    browser_authorize,
    mastodon_app,
    mastodon_user,
    toot,
)
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.web_server]

PASSWORD = "client tests password"
SCOPES = ["read", "write", "follow", "push"]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.com", password=PASSWORD)


def test_mastodon_py_registers_an_app_and_logs_in_with_the_password_grant(mastodon_server, alice):
    app = mastodon_app(mastodon_server)
    token = app.log_in("alice@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
    user = Mastodon(access_token=token, api_base_url=mastodon_server, version_check_mode="created")
    verified = user.app_verify_credentials()
    assert verified["name"] == "mini_twitter tests"
    assert sorted(verified["scopes"]) == sorted(SCOPES)
    assert get_access_token_model().objects.get(user=alice).scope == "read write follow push"
    if has_route("/api/v1/accounts/verify_credentials"):
        assert user.account_verify_credentials()["username"] == "alice"


def test_mastodon_py_password_grant_with_the_username_and_a_wrong_password(mastodon_server, alice):
    app = mastodon_app(mastodon_server)
    assert app.log_in("alice", PASSWORD, scopes=["read"], allow_http=True)
    with pytest.raises(MastodonIllegalArgumentError):
        app.log_in("alice@example.com", "wrong password", scopes=["read"], allow_http=True)


def test_suspended_user_cannot_log_in(mastodon_server, alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(MastodonIllegalArgumentError):
        mastodon_user(mastodon_server, email="alice@example.com", password=PASSWORD)


def test_scopes_beyond_the_apps_are_refused(mastodon_server, alice):
    app = mastodon_app(mastodon_server, scopes=("read",))
    with pytest.raises(MastodonIllegalArgumentError):
        app.log_in("alice@example.com", PASSWORD, scopes=["read", "write"], allow_http=True)


def test_mastodon_py_sees_a_mastodon_4_3_server(mastodon_server):
    client = Mastodon(api_base_url=mastodon_server, version_check_mode="created")
    assert client.retrieve_mastodon_version() == "4.3.0"
    assert client.verify_minimum_version("4.3.0")
    assert not client.verify_minimum_version("4.4.0")
    instance = client.instance()
    assert instance["version"].startswith("4.3.0 (compatible; mini_twitter ")
    v2 = client.instance_v2()
    assert v2["configuration"]["statuses"]["max_characters"] == 280
    assert v2["api_versions"]["mastodon"] == 2
    v1 = client.instance_v1()
    assert v1["urls"]["streaming_api"].startswith("ws://127.0.0.1:")
    info = client.oauth_authorization_server_info()
    assert "password" in info["grant_types_supported"]
    assert info["token_endpoint"] == f"{mastodon_server}/oauth/token"
    assert client.custom_emojis() == []
    nodeinfo = requests.get(f"{mastodon_server}/nodeinfo/2.0", timeout=10).json()
    assert nodeinfo["software"]["name"] == "mastodon"
    assert requests.get(f"{mastodon_server}/api/v1/streaming/health", timeout=10).text == "OK"


def test_authorization_code_flow_with_pkce_through_the_consent_page(mastodon_server, alice):
    callback = "https://app.example/callback"
    app = mastodon_app(mastodon_server, redirect_uris=[callback, "urn:ietf:wg:oauth:2.0:oob"])
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "client_id": app.client_id,
        "redirect_uri": callback,
        "response_type": "code",
        "scope": "read write",
        "state": "s-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "force_login": "true",
    }
    answer = browser_authorize(
        f"{mastodon_server}/oauth/authorize?{urlencode(query)}", identifier="alice", password=PASSWORD
    )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == callback
    params = parse_qs(location.query)
    assert params["state"] == ["s-1"]
    exchange = {
        "grant_type": "authorization_code",
        "code": params["code"][0],
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": callback,
    }
    refused = requests.post(f"{mastodon_server}/oauth/token", data={**exchange, "code_verifier": "x" * 50}, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    # A refused exchange spends the code (RFC 6749 §4.1.2); a new authorization gives a new one.
    answer = browser_authorize(
        f"{mastodon_server}/oauth/authorize?{urlencode(query)}", identifier="alice@example.com", password=PASSWORD
    )
    exchange["code"] = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    response = requests.post(f"{mastodon_server}/oauth/token", json={**exchange, "code_verifier": verifier}, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "scope", "created_at"}
    assert body["scope"] == "read write"
    user = Mastodon(access_token=body["access_token"], api_base_url=mastodon_server, version_check_mode="none")
    assert user.app_verify_credentials()["name"] == "mini_twitter tests"


def test_mastodon_py_code_flow_with_the_code_shown_on_a_page(mastodon_server, alice):
    app = mastodon_app(mastodon_server, scopes=("read", "write"))
    url = app.auth_request_url(scopes=["read", "write"], force_login=True, state="s-2", allow_http=True)
    page = browser_authorize(url, identifier="alice@example.com", password=PASSWORD)
    assert page.status_code == 200
    code = authorization_code_from_page(page.text)
    token = app.log_in(code=code, scopes=["read", "write"], allow_http=True)
    assert get_access_token_model().objects.get(user=alice).scope == "read write"
    assert token


def test_denying_on_the_consent_page_goes_back_as_access_denied(mastodon_server, alice):
    app = mastodon_app(mastodon_server, redirect_uris="myapp://oauth")
    url = app.auth_request_url(redirect_uris="myapp://oauth", scopes=["read"], state="s-3", allow_http=True)
    answer = browser_authorize(url, identifier="alice", password=PASSWORD, allow=False)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("myapp://oauth?")
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["access_denied"]


def test_revoked_token_is_refused(mastodon_server, alice):
    user = mastodon_user(mastodon_server, email="alice@example.com", password=PASSWORD)
    app = mastodon_app(mastodon_server)
    token = app.log_in("alice@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
    client = Mastodon(
        client_id=app.client_id,
        client_secret=app.client_secret,
        access_token=token,
        api_base_url=mastodon_server,
        version_check_mode="none",
    )
    assert client.app_verify_credentials()
    client.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        Mastodon(access_token=token, api_base_url=mastodon_server, version_check_mode="none").app_verify_credentials()
    # Another token of the same user still works.
    assert user.app_verify_credentials()


def test_client_credentials_token_of_an_app(mastodon_server):
    app = mastodon_app(mastodon_server)
    response = requests.post(
        f"{mastodon_server}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "read",
        },
        timeout=10,
    )
    assert response.status_code == 200
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    verified = requests.get(f"{mastodon_server}/api/v1/apps/verify_credentials", headers=headers, timeout=10)
    assert verified.json()["name"] == "mini_twitter tests"
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_client"):
        Mastodon(client_id=app.client_id, client_secret="wrong", api_base_url=mastodon_server).log_in(
            "alice", PASSWORD, allow_http=True
        )


def test_cors_from_a_browser_client(mastodon_server):
    origin = "https://elk.example"
    preflight = requests.options(
        f"{mastodon_server}/oauth/token",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    response = requests.get(f"{mastodon_server}/api/v2/instance", headers={"Origin": origin}, timeout=10)
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert "link" in response.headers["Access-Control-Expose-Headers"]


def test_toot_reads_the_instance(mastodon_server, tmp_path):
    result = toot("instance", mastodon_server, config_home=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mini_twitter" in result.stdout
    assert "4.3.0" in result.stdout


def test_toot_logs_in_with_email_and_password(mastodon_server, alice, tmp_path):
    result = toot(
        "login_cli",
        "--instance",
        mastodon_server,
        "--email",
        "alice@example.com",
        config_home=tmp_path,
        stdin=f"{PASSWORD}\n",
    )
    application = get_application_model().objects.get()
    assert application.name.startswith("toot")
    assert get_access_token_model().objects.get(user=alice).scope == "read write follow"
    if has_route("/api/v1/accounts/verify_credentials"):
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Successfully logged in" in result.stdout
        assert "alice@" in toot("auth", config_home=tmp_path).stdout


def test_toot_login_with_a_wrong_password_fails(mastodon_server, alice, tmp_path):
    result = toot(
        "login_cli", "--instance", mastodon_server, "--email", "alice@example.com", config_home=tmp_path, stdin="nope\n"
    )
    assert result.returncode != 0
    assert "Login failed" in result.stdout + result.stderr
    assert not get_access_token_model().objects.exists()
