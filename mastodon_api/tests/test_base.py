"""Tokens, scopes and error bodies shared by every Mastodon API view."""

from datetime import timedelta

import pytest
from django.urls import path
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework_simplejwt.tokens import AccessToken

from mastodon_api.scopes import scope_granted
from mastodon_api.views.base import MastodonView


class ProbeView(MastodonView):
    required_scopes = {"GET": ("read", "read:statuses"), "POST": ("write", "write:statuses")}
    public_methods = ("GET",)

    def get(self, request):
        return Response({"user": request.user.username if request.user.is_authenticated else None})

    def post(self, request):
        if "bad" in request.data:
            raise ValidationError({"status": ["can't be blank"]})
        return Response({"user": request.user.username})


class AppView(MastodonView):
    required_scopes = {"GET": ("read",)}
    user_required = False

    def get(self, request):
        return Response({"app": request.auth.application.name})


urlpatterns = [path("api/v1/probe", ProbeView.as_view()), path("api/v1/app_probe", AppView.as_view())]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize(
    ("granted", "required", "expected"),
    [
        ({"read"}, "read:statuses", True),
        ({"read:statuses"}, "read:statuses", True),
        ({"read:accounts"}, "read:statuses", False),
        ({"write"}, "read:statuses", False),
        ({"follow"}, "write:blocks", True),
        ({"follow"}, "write:statuses", False),
        ({"read"}, "read", True),
        ({"read:statuses"}, "read", False),
    ],
)
def test_scope_granted(granted, required, expected):
    assert scope_granted(granted, required) is expected


def test_public_get_needs_no_token(api_client):
    response = api_client.get("/api/v1/probe")
    assert response.status_code == 200
    assert response.json() == {"user": None}


def test_token_authenticates_its_user(mastodon_client, user):
    response = mastodon_client(user, "read").get("/api/v1/probe")
    assert response.status_code == 200
    assert response.json() == {"user": user.username}


def test_write_without_token_is_401(api_client):
    response = api_client.post("/api/v1/probe", {}, format="json")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_invalid_token_is_401_even_on_public_get(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/v1/probe")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_native_jwt_is_not_accepted(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert api_client.get("/api/v1/probe").status_code == 401


def test_token_of_suspended_user_is_invalid(mastodon_client, user):
    client = mastodon_client(user, "read")
    user.is_active = False
    user.save()
    response = client.get("/api/v1/probe")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_missing_scope_is_403(mastodon_client, user):
    response = mastodon_client(user, "read").post("/api/v1/probe", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert mastodon_client(user, "read:accounts").get("/api/v1/probe").status_code == 403


def test_granular_scope_is_enough(mastodon_client, user):
    assert mastodon_client(user, "write:statuses").post("/api/v1/probe", {}, format="json").status_code == 200


def test_validation_error_is_422_with_mastodon_body(mastodon_client, user):
    response = mastodon_client(user).post("/api/v1/probe", {"bad": 1}, format="json")
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Status can't be blank"}


def test_app_token_serves_app_endpoints_but_not_user_ones(mastodon_client):
    client = mastodon_client(scope="read write", app_token=True)
    assert client.get("/api/v1/app_probe").json() == {"app": "Test client"}
    response = client.post("/api/v1/probe", {}, format="json")
    assert response.status_code == 422
    assert response.json() == {"error": "This method requires an authenticated user"}


def test_expired_token_is_401(mastodon_client, user):
    from oauth2_provider.models import get_access_token_model

    client = mastodon_client(user, "read")
    get_access_token_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/probe")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_revoked_token_is_401(mastodon_client, user):
    from oauth2_provider.models import get_access_token_model

    client = mastodon_client(user, "read")
    get_access_token_model().objects.all().delete()
    assert client.get("/api/v1/probe").status_code == 401


def test_token_in_the_query_string(mastodon_token, api_client, user):
    token = mastodon_token(user, "read")
    assert api_client.get("/api/v1/probe", {"access_token": token}).json() == {"user": user.username}
    assert api_client.get("/api/v1/probe", {"access_token": "nope"}).status_code == 401


def test_a_token_is_one_query_with_its_user(mastodon_client, user, django_assert_num_queries):
    client = mastodon_client(user, "read")
    with django_assert_num_queries(1):
        assert client.get("/api/v1/probe").status_code == 200
