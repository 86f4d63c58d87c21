"""Managing api keys through the JWT API, and in the admin."""

import pytest
from rest_framework.test import APIClient

from users.models import ApiKey
from users.services import api_key_create

pytestmark = pytest.mark.django_db

KEYS = "/api/users/api_keys/"


def test_create_list_and_revoke_a_key(auth_client, user):
    created = auth_client.post(KEYS, {"name": "laptop"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "name", "prefix", "created_at", "last_used_at", "key"}
    key = body["key"]
    assert body["prefix"] == key[:8] and body["last_used_at"] is None
    listing = auth_client.get(KEYS).json()
    assert listing == {"next": None, "previous": None, "results": [{k: v for k, v in body.items() if k != "key"}]}
    client = APIClient()
    client.credentials(HTTP_API_KEY=key)
    assert client.get("/api/users/me").json()["user"]["id"] == user.id
    assert auth_client.get(KEYS).json()["results"][0]["last_used_at"] is not None
    assert auth_client.delete(f"{KEYS}{body['id']}/").status_code == 204
    assert client.get("/api/users/me").status_code == 401
    assert auth_client.get(KEYS).json()["results"] == []
    assert ApiKey.objects.get(pk=body["id"]).revoked_at is not None


def test_someone_elses_key_is_404(auth_client, other_user):
    api_key, _ = api_key_create(user=other_user, name="theirs")
    assert auth_client.delete(f"{KEYS}{api_key.id}/").status_code == 404
    assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None
    assert auth_client.get(KEYS).json()["results"] == []


def test_key_management_needs_a_jwt(api_client):
    assert api_client.get(KEYS).status_code == 401
    assert api_client.post(KEYS, {"name": "x"}, format="json").status_code == 401


def test_key_name_is_required(auth_client):
    response = auth_client.post(KEYS, {}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert auth_client.post(KEYS, {"name": "x" * 101}, format="json").status_code == 400


def test_staff_create_a_key_in_the_admin_and_see_it_once(client, user):
    from users.tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.post("/admin/users/apikey/add/", {"user": user.id, "name": "kiosk"}, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    key = next(m.split("The new api key is ")[1].split(" ")[0] for m in messages if "The new api key is" in m)
    api_key = ApiKey.objects.get(user=user, name="kiosk")
    assert key.startswith(api_key.prefix)
    api = APIClient()
    api.credentials(HTTP_API_KEY=key)
    assert api.get("/api/users/me").status_code == 200


def test_key_list_is_paginated_with_a_fixed_number_of_queries(auth_client, user, django_assert_max_num_queries):
    from users.services import api_key_create

    for i in range(3):
        api_key_create(user=user, name=f"key {i}")
    with django_assert_max_num_queries(1):
        first = auth_client.get(KEYS, {"page_size": 2}).json()
    assert [k["name"] for k in first["results"]] == ["key 2", "key 1"] and first["next"]
    assert [k["name"] for k in auth_client.get(first["next"]).json()["results"]] == ["key 0"]


def test_staff_revoke_keys_in_the_admin(client, user):
    from users.services import api_key_create
    from users.tests.factories import UserFactory

    (first, first_key), (second, second_key) = (api_key_create(user=user, name=n) for n in ("a", "b"))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/users/apikey/", {"action": "revoke_keys", "_selected_action": [first.pk, second.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "2 key(s) revoked." in [str(m) for m in response.context["messages"]]
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 2
    for key in (first_key, second_key):
        assert APIClient(headers={"api-key": key}).get("/api/users/me").status_code == 401


def test_revoking_a_key_twice_or_someone_elses_is_404(auth_client, other_user):
    from users.services import api_key_create

    body = auth_client.post(KEYS, {"name": "once"}, format="json").json()
    assert auth_client.delete(f"{KEYS}{body['id']}/").status_code == 204
    assert auth_client.delete(f"{KEYS}{body['id']}/").status_code == 404
    theirs, _ = api_key_create(user=other_user, name="theirs")
    assert auth_client.delete(f"{KEYS}{theirs.pk}/").status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked_at is None


def test_wrong_keys_are_throttled_per_address_without_a_lookup(settings, user, django_assert_num_queries):
    settings.THROTTLE_RATE_ANON = "20/min"  # failed keys: 2 per minute per address
    _, key = api_key_create(user=user, name="mine")
    attacker = APIClient(REMOTE_ADDR="10.6.0.1")
    statuses = [attacker.get("/api/users/me", headers={"api-key": f"wrong-{i}"}).status_code for i in range(2)]
    assert statuses == [401, 401]
    with django_assert_num_queries(0):
        throttled = attacker.get("/api/users/me", headers={"api-key": "wrong-3"})
    assert throttled.status_code == 429
    assert throttled.json() == {
        "result": False,
        "error_type": "TooManyRequests",
        "error_message": "Request was throttled. Expected available in 60 seconds.",
    }
    assert int(throttled["Retry-After"]) > 0
    # Until the window passes, even a right key from that address is not looked up.
    assert attacker.get("/api/users/me", headers={"api-key": key}).status_code == 429
    # Other addresses are not affected, and right keys are not counted.
    elsewhere = APIClient(REMOTE_ADDR="10.6.0.2")
    for _ in range(3):
        assert elsewhere.get("/api/users/me", headers={"api-key": key}).status_code == 200


def test_a_wrong_bearer_token_costs_no_query(api_client, django_assert_num_queries):
    # A bad JWT is refused on its signature alone, so it needs no failure throttle.
    with django_assert_num_queries(0):
        response = api_client.get("/api/users/me/", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
