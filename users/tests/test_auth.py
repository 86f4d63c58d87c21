"""Registration, JWT login, refresh rotation and logout."""

import pytest

from users.models import Profile, User
from users.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/users/"
TOKEN = "/api/users/token/"
REFRESH = "/api/users/token/refresh/"
LOGOUT = "/api/users/logout/"
ME = "/api/users/me/"


def register(client, **overrides):
    body = {"username": "newbie", "email": "newbie@example.com", "password": "a-long-secret-phrase"}
    body.update(overrides)
    return client.post(REGISTER, body, format="json")


def login(client, username, password=PASSWORD):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def test_register_creates_user_and_profile(api_client):
    response = register(api_client, display_name="New Bie")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "username",
        "display_name",
        "bio",
        "location",
        "website",
        "avatar",
        "followers_count",
        "following_count",
        "posts_count",
        "date_joined",
        "is_following",
        "follows_you",
        "is_protected",
        "follow_requested",
        "is_blocking",
        "is_blocked_by",
        "is_muting",
        "email",
    }
    assert body["username"] == "newbie"
    assert body["email"] == "newbie@example.com"
    assert body["display_name"] == "New Bie"
    assert body["avatar"] is None
    assert "password" not in response.content.decode()
    user = User.objects.get(username="newbie")
    assert user.check_password("a-long-secret-phrase")
    assert Profile.objects.filter(pk=user.pk, display_name="New Bie").exists()


def test_register_duplicate_username_is_case_insensitive(api_client):
    UserFactory(username="Taken")
    response = register(api_client, username="taken")
    assert response.status_code == 400
    assert "username" in response.json()
    assert User.objects.count() == 1


def test_register_duplicate_email_is_case_insensitive(api_client):
    UserFactory(email="Someone@Example.com")
    response = register(api_client, email="someone@example.COM")
    assert response.status_code == 400
    assert "email" in response.json()


def test_register_with_a_taken_email_does_not_say_an_account_has_it(api_client):
    UserFactory(email="someone@example.com")
    taken = register(api_client, email="someone@example.com")
    malformed = register(api_client, email="someone-at-example")
    assert taken.status_code == malformed.status_code == 400
    assert taken.json() == malformed.json() == {"email": ["This email address is invalid or already in use."]}
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", "newbie2024"])
def test_register_weak_password_is_refused(api_client, password):
    response = register(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("username", "has space"), ("username", ""), ("username", "x" * 151)],
)
def test_register_invalid_fields_are_400(api_client, field, value):
    response = register(api_client, **{field: value})
    assert response.status_code == 400
    assert field in response.json()


def test_register_missing_body_is_400(api_client):
    response = api_client.post(REGISTER, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"username", "email", "password"}


def test_register_malformed_json_is_400(api_client):
    response = api_client.post(REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_login_returns_token_pair_and_ignores_username_case(api_client):
    UserFactory(username="Carol")
    response = login(api_client, "cAROL")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.status_code == 200
    assert me.json()["username"] == "Carol"


def test_login_takes_a_full_width_spelling_of_the_username_as_the_admin_does(api_client, client):
    user = UserFactory(username="staffer", is_staff=True)
    response = login(api_client, "ｓｔａｆｆｅｒ")
    assert response.status_code == 200
    me = api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.json()["id"] == user.id
    # The admin's login form normalises the same way (one rule: the user manager's lookup).
    admin = client.post("/admin/login/", {"username": "ｓｔａｆｆｅｒ", "password": PASSWORD, "next": "/admin/"})
    assert admin.status_code == 302


def test_login_wrong_password_is_401(api_client, user):
    response = login(api_client, user.username, "wrong-password")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_login_unknown_user_is_401(api_client):
    assert login(api_client, "nobody").status_code == 401


def test_login_deactivated_user_is_401(api_client):
    user = UserFactory(is_active=False)
    assert login(api_client, user.username).status_code == 401


def test_me_requires_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401


def test_me_with_bad_token_is_401(api_client):
    response = api_client.get(ME, HTTP_AUTHORIZATION="Bearer not.a.token")
    assert response.status_code == 401


def test_me_shows_own_email(auth_client, user):
    response = auth_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email
    assert response.json()["id"] == user.id


def test_refresh_rotates_and_blacklists_the_old_token(api_client, user):
    pair = login(api_client, user.username).json()
    first = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != pair["refresh"]
    reused = api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert reused.status_code == 401
    again = api_client.post(REFRESH, {"refresh": first.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_with_garbage_is_401(api_client):
    assert api_client.post(REFRESH, {"refresh": "garbage"}, format="json").status_code == 401


def test_refresh_with_access_token_is_401(api_client, user):
    pair = login(api_client, user.username).json()
    assert api_client.post(REFRESH, {"refresh": pair["access"]}, format="json").status_code == 401


def test_refresh_for_deleted_user_is_401(api_client):
    user = UserFactory()
    pair = login(api_client, user.username).json()
    user.delete()
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_refresh_missing_field_is_400(api_client):
    assert api_client.post(REFRESH, {}, format="json").status_code == 400


def test_logout_revokes_the_refresh_token(api_client, user):
    pair = login(api_client, user.username).json()
    response = api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 205
    assert api_client.post(REFRESH, {"refresh": pair["refresh"]}, format="json").status_code == 401
    assert api_client.post(LOGOUT, {"refresh": pair["refresh"]}, format="json").status_code == 401


def test_logout_with_invalid_token_is_401(api_client):
    assert api_client.post(LOGOUT, {"refresh": "nope"}, format="json").status_code == 401


def test_logout_without_body_is_400(api_client):
    response = api_client.post(LOGOUT, {}, format="json")
    assert response.status_code == 400
    assert "refresh" in response.json()


def test_no_redirect_between_slash_forms(api_client, user):
    # Without the slash these are other resources or nothing at all, never a redirect.
    me = api_client.get("/api/users/me")  # the microblog API's path, which wants an api-key
    assert me.status_code == 401 and me.json()["result"] is False
    token = api_client.post("/api/users/token", {"username": user.username, "password": "x"}, format="json")
    assert token.status_code == 404 and token.json() == {"detail": "Not found."}
    assert api_client.get("/api/posts").status_code == 404
