"""Protected accounts: follows become requests the account approves or rejects; its followers and
following lists are its own; turning protection off approves every pending request."""

import pytest

from notifications.models import Notification
from users.models import Follow, FollowRequest, Profile
from users.services import api_key_create
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UPDATE = "/api/users/profiles/update_my_profile/"
REQUESTS = "/api/users/follow_requests/"


def protect(client, on: bool = True):
    response = client.patch(UPDATE, {"is_protected": on}, format="json")
    assert response.status_code == 200, response.content
    return response


def counts(user) -> tuple[int, int]:
    profile = Profile.objects.get(pk=user.pk)
    return profile.followers_count, profile.following_count


@pytest.fixture
def locked(client_for):
    user = UserFactory()
    protect(client_for(user))
    return user


def request_ids(client) -> list[int]:
    response = client.get(REQUESTS)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_update_my_profile_takes_is_protected(auth_client, user):
    body = protect(auth_client).json()
    assert body["is_protected"] is True
    assert Profile.objects.get(pk=user.pk).is_protected is True
    assert auth_client.patch(UPDATE, {"is_protected": "maybe"}, format="json").status_code == 400
    assert auth_client.get(f"/api/users/{user.id}/").json()["is_protected"] is True


def test_user_representation_has_is_protected_for_everyone(api_client, locked):
    body = api_client.get(f"/api/users/{locked.id}/").json()
    assert body["is_protected"] is True
    assert body["follow_requested"] is False


def test_follow_of_a_protected_account_is_a_request(client_for, locked, django_capture_on_commit_callbacks):
    fan = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(fan).post(f"/api/users/{locked.id}/follow/")
    assert response.status_code == 202
    body = response.json()
    assert body["id"] == locked.id
    assert body["follow_requested"] is True and body["is_following"] is False and body["is_protected"] is True
    assert not Follow.objects.exists()
    assert FollowRequest.objects.filter(requester=fan, target=locked).count() == 1
    assert counts(locked) == (0, 0)
    notification = Notification.objects.get(recipient=locked)
    assert (notification.type, notification.actor_id, notification.post_id) == ("follow_request", fan.id, None)
    # Asking again changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        again = client_for(fan).post(f"/api/users/{locked.id}/follow/")
    assert again.status_code == 202 and again.json()["follow_requested"] is True
    assert FollowRequest.objects.count() == 1 and Notification.objects.count() == 1
    # The notification list shows it.
    listed = client_for(locked).get("/api/notifications/").json()["results"]
    assert [(n["type"], n["actor"]["id"]) for n in listed] == [("follow_request", fan.id)]


def test_follow_of_an_open_account_is_unchanged(client_for, other_user):
    response = client_for(UserFactory()).post(f"/api/users/{other_user.id}/follow/")
    assert response.status_code == 201
    assert response.json()["follow_requested"] is False and response.json()["is_following"] is True


def test_following_a_protected_account_already_followed_is_200(client_for):
    star, fan = UserFactory(), UserFactory()
    client_for(fan).post(f"/api/users/{star.id}/follow/")
    protect(client_for(star))  # turning protection on keeps the followers
    response = client_for(fan).post(f"/api/users/{star.id}/follow/")
    assert response.status_code == 200 and response.json()["is_following"] is True
    assert not FollowRequest.objects.exists()
    assert Follow.objects.filter(follower=fan, followee=star).exists()


def test_unfollow_cancels_a_pending_request(client_for, locked):
    fan = UserFactory()
    client_for(fan).post(f"/api/users/{locked.id}/follow/")
    response = client_for(fan).post(f"/api/users/{locked.id}/unfollow/")
    assert response.status_code == 200
    assert response.json()["follow_requested"] is False and response.json()["is_following"] is False
    assert not FollowRequest.objects.exists()
    assert request_ids(client_for(locked)) == []


def test_follow_requests_list_oldest_first_and_paginated(client_for, locked):
    fans = UserFactory.create_batch(3)
    for fan in fans:
        client_for(fan).post(f"/api/users/{locked.id}/follow/")
    client = client_for(locked)
    body = client.get(REQUESTS).json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["user"]["id"] for row in body["results"]] == [fan.id for fan in fans]
    first = body["results"][0]
    assert set(first) == {"id", "user", "created_at"}
    assert first["user"] == {"id": fans[0].id, "username": fans[0].username, "display_name": "", "avatar": None}
    page = client.get(REQUESTS, {"page_size": 2}).json()
    assert [row["user"]["id"] for row in page["results"]] == [fans[0].id, fans[1].id]
    rest = client.get(page["next"]).json()
    assert [row["user"]["id"] for row in rest["results"]] == [fans[2].id]
    # Someone else's requests are not mine.
    assert request_ids(client_for(fans[0])) == []


def test_follow_requests_need_a_token(api_client):
    assert api_client.get(REQUESTS).status_code == 401
    assert api_client.post(f"{REQUESTS}1/approve/").status_code == 401
    assert api_client.post(f"{REQUESTS}1/reject/").status_code == 401


def test_follow_requests_query_count_does_not_grow(client_for, locked, django_assert_max_num_queries):
    client = client_for(locked)
    client_for(UserFactory()).post(f"/api/users/{locked.id}/follow/")
    with django_assert_max_num_queries(2):
        assert len(request_ids(client)) == 1
    for fan in UserFactory.create_batch(19):
        client_for(fan).post(f"/api/users/{locked.id}/follow/")
    with django_assert_max_num_queries(2):
        assert len(request_ids(client)) == 20


def test_approve_makes_the_follow(client_for, locked, django_capture_on_commit_callbacks):
    fan = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client_for(fan).post(f"/api/users/{locked.id}/follow/")
    (request_id,) = request_ids(client_for(locked))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(locked).post(f"{REQUESTS}{request_id}/approve/")
    assert response.status_code == 200
    assert response.json()["id"] == request_id and response.json()["user"]["id"] == fan.id
    assert Follow.objects.filter(follower=fan, followee=locked).exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked) == (1, 0) and counts(fan) == (0, 1)
    # The request's notification stays the only one about it.
    assert list(Notification.objects.values_list("type", flat=True)) == ["follow_request"]
    body = client_for(fan).get(f"/api/users/{locked.id}/").json()
    assert body["is_following"] is True and body["follow_requested"] is False
    # Approving again: it is gone.
    assert client_for(locked).post(f"{REQUESTS}{request_id}/approve/").status_code == 404


def test_reject_deletes_the_request(client_for, locked):
    fan = UserFactory()
    client_for(fan).post(f"/api/users/{locked.id}/follow/")
    (request_id,) = request_ids(client_for(locked))
    response = client_for(locked).post(f"{REQUESTS}{request_id}/reject/")
    assert response.status_code == 200 and response.json()["user"]["id"] == fan.id
    assert not FollowRequest.objects.exists() and not Follow.objects.exists()
    assert counts(locked) == (0, 0)
    assert client_for(locked).post(f"{REQUESTS}{request_id}/reject/").status_code == 404


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_someone_elses_or_an_unknown_request_is_404(client_for, locked, action):
    fan, intruder = UserFactory(), UserFactory()
    client_for(fan).post(f"/api/users/{locked.id}/follow/")
    (request_id,) = request_ids(client_for(locked))
    assert client_for(intruder).post(f"{REQUESTS}{request_id}/{action}/").status_code == 404
    assert client_for(fan).post(f"{REQUESTS}{request_id}/{action}/").status_code == 404
    assert client_for(locked).post(f"{REQUESTS}987654/{action}/").status_code == 404
    assert client_for(locked).post(f"{REQUESTS}99999999999999999999999/{action}/").status_code == 404
    assert FollowRequest.objects.count() == 1 and not Follow.objects.exists()


def test_turning_protection_off_approves_every_pending_request(client_for, locked, django_capture_on_commit_callbacks):
    fans = UserFactory.create_batch(3)
    with django_capture_on_commit_callbacks(execute=True):
        for fan in fans:
            client_for(fan).post(f"/api/users/{locked.id}/follow/")
        protect(client_for(locked), on=False)
    assert not FollowRequest.objects.exists()
    assert set(Follow.objects.filter(followee=locked).values_list("follower_id", flat=True)) == {f.id for f in fans}
    assert counts(locked) == (3, 0)
    assert set(Notification.objects.values_list("type", flat=True)) == {"follow_request"}
    # Now follows are follows again.
    newcomer = UserFactory()
    assert client_for(newcomer).post(f"/api/users/{locked.id}/follow/").status_code == 201


def test_turning_protection_on_keeps_followers(client_for):
    star, fan = UserFactory(), UserFactory()
    client_for(fan).post(f"/api/users/{star.id}/follow/")
    protect(client_for(star))
    assert Follow.objects.filter(follower=fan, followee=star).exists()
    assert counts(star) == (1, 0)


@pytest.mark.parametrize("listing", ["followers", "following"])
def test_a_protected_accounts_lists_are_its_own(api_client, client_for, locked, listing):
    fan = UserFactory()
    client_for(fan).post(f"/api/users/{locked.id}/follow/")
    (request_id,) = request_ids(client_for(locked))
    client_for(locked).post(f"{REQUESTS}{request_id}/approve/")
    url = f"/api/users/{locked.id}/{listing}/"
    assert api_client.get(url).status_code == 401
    assert client_for(UserFactory()).get(url).status_code == 403
    assert client_for(fan).get(url).status_code == 403  # an approved follower too
    own = client_for(locked).get(url)
    assert own.status_code == 200
    assert [u["id"] for u in own.json()["results"]] == ([fan.id] if listing == "followers" else [])
    # The user representation stays public.
    assert api_client.get(f"/api/users/{locked.id}/").status_code == 200
    # An unknown user is still 404.
    assert api_client.get(f"/api/users/987654/{listing}/").status_code == 404


def test_follow_requested_flag_comes_in_bulk(client_for, django_assert_max_num_queries):
    viewer = client_for(UserFactory())
    accounts = UserFactory.create_batch(3)
    for account in accounts:
        protect(client_for(account))
        viewer.post(f"/api/users/{account.id}/follow/")
    with django_assert_max_num_queries(3):
        rows = viewer.get("/api/users/").json()["results"]
    flags = {row["id"]: row["follow_requested"] for row in rows}
    assert all(flags[account.id] for account in accounts)
    assert flags[viewer.user.id] is False
    UserFactory.create_batch(17)
    with django_assert_max_num_queries(3):
        assert len(viewer.get("/api/users/").json()["results"]) == 20


def test_staff_adding_a_follow_in_the_admin_follow_a_protected_account_directly(admin_client, locked):
    fan = UserFactory()
    response = admin_client.post("/admin/users/follow/add/", {"follower": fan.id, "followee": locked.id})
    assert response.status_code == 302, response.content
    assert Follow.objects.filter(follower=fan, followee=locked).exists()
    assert not FollowRequest.objects.exists()
    assert counts(locked) == (1, 0)


def test_the_microblog_follow_of_a_protected_account_is_a_request(api_client, locked):
    fan = UserFactory()
    api_client.credentials(HTTP_API_KEY=api_key_create(user=fan, name="front end")[1])
    response = api_client.post(f"/api/users/{locked.id}/follow")
    assert response.status_code == 200 and response.json() == {"result": True}
    assert FollowRequest.objects.filter(requester=fan, target=locked).exists()
    assert not Follow.objects.exists()
    assert api_client.delete(f"/api/users/{locked.id}/follow").status_code == 200
    assert not FollowRequest.objects.exists()
