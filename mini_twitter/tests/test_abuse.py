"""Abuse limits: write throttles per user and per address, credential throttles per account."""

import re

import pytest
from rest_framework.test import APIClient

from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_writes_are_throttled_per_user_with_retry_after(auth_client, settings):
    settings.THROTTLE_RATE_USER = "8/min"  # writes: a quarter, 2 per minute
    statuses = [auth_client.post("/api/posts/", {"content": f"post {i}"}, format="json").status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    response = auth_client.post("/api/posts/", {"content": "again"}, format="json")
    assert int(response["Retry-After"]) > 0
    # Reads are not counted as writes.
    assert auth_client.get("/api/posts/").status_code == 200


def test_writes_are_throttled_per_address_across_accounts(settings):
    settings.THROTTLE_RATE_USER = "8/min"
    statuses = []
    for _ in range(3):
        client = APIClient()
        client.force_authenticate(UserFactory())
        statuses.append(client.post("/api/posts/", {"content": "from one address"}, format="json").status_code)
    assert statuses == [201, 201, 429]


def test_login_is_throttled_per_account_across_addresses(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"  # sensitive: 2 per minute
    statuses = [
        APIClient(REMOTE_ADDR=f"10.0.0.{i}")
        .post("/api/users/token/", {"username": user.username.upper(), "password": "wrong"}, format="json")
        .status_code
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]
    other = APIClient(REMOTE_ADDR="10.0.0.99").post(
        "/api/users/token/", {"username": "someone-else", "password": "wrong"}, format="json"
    )
    assert other.status_code == 401


def test_password_reset_is_throttled_per_email(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    statuses = [
        APIClient(REMOTE_ADDR=f"10.1.0.{i}")
        .post("/api/users/password_reset/", {"email": user.email}, format="json")
        .status_code
        for i in range(3)
    ]
    assert statuses == [202, 202, 429]


def sensitive_statuses(path, bodies):
    """Each body posted from its own address: only the per-account throttle can refuse them."""
    return [
        APIClient(REMOTE_ADDR=f"10.2.0.{i}").post(path, body, format="json").status_code
        for i, body in enumerate(bodies)
    ]


def test_an_extra_username_does_not_escape_the_per_email_reset_throttle(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"  # sensitive: 2 per minute
    bodies = [{"email": f"  {user.email.upper()} ", "username": f"decoy{i}"} for i in range(3)]
    assert sensitive_statuses("/api/users/password_reset/", bodies) == [202, 202, 429]


def test_reset_confirm_is_throttled_per_email_whatever_else_is_sent(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    bodies = [
        {"email": user.email, "code": "000000", "new_password": "x" * 20, "username": f"decoy{i}"} for i in range(3)
    ]
    assert sensitive_statuses("/api/users/password_reset/confirm/", bodies) == [400, 400, 429]


def test_login_is_throttled_per_username_whatever_else_is_sent(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    bodies = [{"username": f" {user.username.upper()}", "password": "wrong", "email": f"d{i}@x.io"} for i in range(3)]
    assert sensitive_statuses("/api/users/token/", bodies) == [401, 401, 429]


def test_registration_is_throttled_per_username_and_per_email(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    # Probing whether an email is registered, with a new username each time.
    bodies = [{"username": f"new{i}", "email": user.email.upper(), "password": "x"} for i in range(3)]
    assert sensitive_statuses("/api/users/", bodies) == [400, 400, 429]
    # Probing a username, with a new email each time.
    bodies = [{"username": user.username, "email": f"n{i}@example.com", "password": "x"} for i in range(3)]
    assert sensitive_statuses("/api/users/", bodies) == [400, 400, 429]


def test_overlong_query_string_is_414(api_client):
    response = api_client.get("/api/users/", {"search": "x" * 5000})
    assert response.status_code == 414
    assert response.json() == {"detail": "The query string is too long."}


def test_deeply_nested_json_is_400(auth_client):
    body = "[" * 100_000 + "]" * 100_000
    response = auth_client.post("/api/posts/", body, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "text",
    [
        "e\u0301\u0301 combining marks",
        "emoji 👩‍👩‍👧‍👦 🇺🇦 family and flag",
        "\u202eRTL override\u202c and \u200fRLM",
        "עברית ועוד العربية",
    ],
)
def test_unicode_edge_cases_are_stored_faithfully(auth_client, text):
    post = auth_client.post("/api/posts/", {"content": text}, format="json")
    assert post.status_code == 201
    assert auth_client.get(f"/api/posts/{post.json()['id']}/").json()["content"] == text
    profile = auth_client.patch("/api/users/profiles/update_my_profile/", {"bio": text}, format="json")
    assert profile.status_code == 200 and profile.json()["bio"] == text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/posts/", {"content": "nul \x00 byte"}),
        ("/api/users/profiles/update_my_profile/", {"bio": "nul \x00 byte"}),
        ("/api/users/", {"username": "nul\x00", "email": "a@example.com", "password": "long-enough-pass"}),
    ],
)
def test_nul_bytes_are_refused_with_400(auth_client, path, body):
    method = auth_client.patch if "profile" in path else auth_client.post
    response = method(path, body, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/api/search/?q=%00",
        "/api/users/?search=a%00b",
        "/api/posts/?author=1&x%00=1",
        "/api/hashtags/%00/posts/",
        "/api/users/%00/",
    ],
)
def test_nul_bytes_in_paths_and_query_strings_are_400(auth_client, path):
    response = auth_client.get(path)
    assert response.status_code == 400
    assert response.json() == {"detail": "NUL characters are not allowed in the path or query string."}


def test_nul_bytes_in_a_microblog_query_get_the_envelope(api_client):
    response = api_client.get("/api/tweets?limit=%00", headers={"api-key": "whatever"})
    assert response.status_code == 400
    assert response.json() == {
        "result": False,
        "error_type": "BadRequest",
        "error_message": "NUL characters are not allowed in the path or query string.",
    }


@pytest.mark.parametrize("bad", ["\r\nBcc: victim@example.com", "\n", "\x1b[31m", "\x85", "\u2028"])
@pytest.mark.parametrize(
    ("method", "path", "field", "body"),
    [
        ("post", "/api/users/", "display_name", {"username": "newbie", "email": "n@example.com"}),
        ("post", "/api/users/", "username", {"email": "n@example.com"}),
        ("patch", "/api/users/profiles/update_my_profile/", "display_name", {}),
        ("patch", "/api/users/profiles/update_my_profile/", "location", {}),
        ("post", "/api/rooms/", "title", {}),
        ("post", "/api/users/api_keys/", "name", {}),
        ("post", "/api/messages/", "title", {}),
    ],
)
def test_control_characters_in_names_and_titles_are_refused_with_400(auth_client, bad, method, path, field, body):
    body = {**body, field: f"one{bad}two"}
    if path == "/api/users/":
        body.setdefault("username", "newbie")
        body["password"] = "long-enough-pass"
    if path == "/api/messages/":
        body["participant_ids"] = [UserFactory().id, UserFactory().id]
    response = getattr(auth_client, method)(path, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_names_stay_free_to_use_other_scripts_and_symbols(auth_client):
    name = "Zoë 🌻 Ђорђе עברית"
    response = auth_client.patch(
        "/api/users/profiles/update_my_profile/", {"display_name": name, "location": "Zürich, CH"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == name and response.json()["location"] == "Zürich, CH"


def test_cors_allows_only_listed_origins(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = api_client.options(
        "/api/tweets",
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="api-key",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "api-key" in preflight["Access-Control-Allow-Headers"]
    other = api_client.get("/api/users/", HTTP_ORIGIN="https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in other


def test_security_headers(api_client):
    response = api_client.get("/api/users/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


HUGE = 10**20  # past a 64-bit id
PATHS_WITH_IDS = [
    f"/api/users/{HUGE}/",
    f"/api/users/profiles/{HUGE}/",
    f"/api/users/{HUGE}/followers/",
    f"/api/posts/{HUGE}/",
    f"/api/posts/{HUGE}/replies/",
    f"/api/media/{HUGE}/",
    f"/api/notifications/{HUGE}/mark_as_read/",
    f"/api/messages/{HUGE}/",
    f"/api/rooms/{HUGE}/",
    f"/api/users/api_keys/{HUGE}/",
]


@pytest.mark.parametrize("path", PATHS_WITH_IDS)
def test_ids_past_64_bits_in_paths_are_404(auth_client, path):
    method = auth_client.post if path.endswith("mark_as_read/") else auth_client.get
    response = method(path)
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/posts/", {"content": "hi", "media_ids": [HUGE]}),
        ("post", "/api/posts/", {"content": "hi", "reply_to": HUGE}),
        ("post", "/api/messages/", {"participant_ids": [HUGE]}),
        ("get", f"/api/posts/?author={HUGE}", None),
    ],
)
def test_ids_past_64_bits_in_bodies_and_filters_are_400(auth_client, method, path, body):
    response = getattr(auth_client, method)(path, body, format="json") if body else auth_client.get(path)
    assert response.status_code == 400, response.content
    assert response.json()


def test_ids_past_64_bits_in_the_microblog_api(user):
    from users.services import api_key_create

    _, key = api_key_create(user=user, name="huge")
    client = APIClient(headers={"api-key": key})
    response = client.post("/api/tweets", {"tweet_data": "x", "tweet_media_ids": [HUGE]}, format="json")
    assert response.status_code in (400, 422) and response.json()["result"] is False
    for path in (f"/api/tweets/{HUGE}", f"/api/users/{HUGE}"):
        response = client.delete(path) if "tweets" in path else client.get(path)
        assert response.status_code == 404 and response.json()["result"] is False
    response = client.get("/api/tweets", {"offset": HUGE, "limit": 200})
    assert response.status_code == 200 and response.json() == {"result": True, "tweets": []}


def admin_login(address: str, username: str, password: str = "wrong"):  # noqa: S107
    """A login through the admin's own form: its page first (CSRF cookie and token), then the post."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    page = client.get("/admin/login/")
    assert page.status_code == 200
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.content).group(1).decode()
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"},
    )


def test_admin_login_is_throttled_per_address(settings):
    settings.THROTTLE_RATE_ANON = "20/min"  # sensitive: 2 per minute
    responses = [admin_login("10.3.0.1", f"admin{i}") for i in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]  # a wrong password redisplays the form
    assert responses[2].json() == {"detail": "Request was throttled. Expected available in 60 seconds."}
    assert int(responses[2]["Retry-After"]) > 0
    assert admin_login("10.3.0.2", "admin9").status_code == 200


def test_admin_login_is_throttled_per_account_across_addresses(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    statuses = [admin_login(f"10.4.0.{i}", f" {user.username.upper()}").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    # Even the right password waits: the throttle comes before the password check.
    assert admin_login("10.4.0.9", user.username, PASSWORD).status_code == 429
    assert admin_login("10.4.0.10", "someone-else").status_code == 200


def full_width(text: str) -> str:
    """The full-width forms of ASCII letters and digits, which NFKC turns back into them."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def test_admin_login_counts_a_full_width_spelling_against_the_same_account(settings):
    settings.THROTTLE_RATE_ANON = "20/min"
    staffer = UserFactory(username="staffer", is_staff=True)
    # The admin's form normalises a username with NFKC before looking the account up.
    assert admin_login("10.5.0.1", full_width("staffer"), PASSWORD).status_code == 302
    statuses = [admin_login(f"10.5.0.{i}", name).status_code for i, name in enumerate(["staffer", "ＳＴＡＦＦＥＲ"], 2)]
    assert statuses == [200, 429]
    assert admin_login("10.5.0.9", staffer.username, PASSWORD).status_code == 429


def test_registration_counts_a_full_width_spelling_against_the_same_account(settings, user):
    settings.THROTTLE_RATE_ANON = "20/min"
    names = [user.username, full_width(user.username), user.username.upper()]
    bodies = [{"username": name, "email": f"w{i}@example.com", "password": "x"} for i, name in enumerate(names)]
    assert sensitive_statuses("/api/users/", bodies) == [400, 400, 429]


def test_admin_login_with_the_right_password_still_logs_in(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    response = admin_login("10.5.0.1", user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
