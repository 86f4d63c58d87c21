"""Public user views, search, follows and follower lists."""

import pytest

from posts.tests.factories import PostFactory
from users.models import Follow, Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

USER_FIELDS = {
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
}


def counts(user):
    profile = Profile.objects.get(pk=user.pk)
    return profile.followers_count, profile.following_count


def test_user_detail_is_public_and_has_no_email(api_client, user):
    response = api_client.get(f"/api/users/{user.id}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["is_following"] is False and body["follows_you"] is False
    assert user.email not in response.content.decode()


def test_unknown_user_is_404(api_client):
    response = api_client.get("/api/users/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_deactivated_user_is_404(api_client):
    user = UserFactory(is_active=False)
    assert api_client.get(f"/api/users/{user.id}/").status_code == 404


def test_user_list_is_paginated_and_searchable(api_client):
    UserFactory(username="alice", display_name="Wonderland")
    UserFactory(username="bob", display_name="Builder")
    UserFactory(username="malice")
    response = api_client.get("/api/users/", {"search": "ALICE"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [u["username"] for u in body["results"]] == ["alice", "malice"]
    by_display_name = api_client.get("/api/users/", {"search": "build"}).json()["results"]
    assert [u["username"] for u in by_display_name] == ["bob"]
    for result in body["results"]:
        assert "email" not in result


def test_user_list_pages(api_client):
    UserFactory.create_batch(5)
    first = api_client.get("/api/users/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["previous"] is None and first["next"]
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["previous"]
    assert {u["id"] for u in first["results"]}.isdisjoint({u["id"] for u in second["results"]})
    last = api_client.get(second["next"]).json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_page_size_is_capped_at_100(api_client):
    UserFactory.create_batch(3)
    response = api_client.get("/api/users/", {"page_size": 1000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert api_client.get("/api/users/", {"page_size": "abc", "page": "x"}).status_code == 200


@pytest.mark.parametrize("size", ["0", "-1", "abc", ""])
def test_a_page_size_that_is_not_a_positive_number_means_the_default(api_client, size):
    UserFactory.create_batch(21)
    for path in ("/api/users/", "/api/posts/"):
        response = api_client.get(path, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == (20 if path == "/api/users/" else 0)
    PostFactory.create_batch(21)
    assert len(api_client.get("/api/posts/", {"page_size": size}).json()["results"]) == 20


def test_user_list_query_count_does_not_grow(auth_client, django_assert_max_num_queries):
    UserFactory()
    with django_assert_max_num_queries(3):
        assert len(auth_client.get("/api/users/").json()["results"]) == 2
    UserFactory.create_batch(19)
    with django_assert_max_num_queries(3):
        assert len(auth_client.get("/api/users/").json()["results"]) == 20


def test_follow_creates_and_is_idempotent(auth_client, user, other_user):
    response = auth_client.post(f"/api/users/{other_user.id}/follow/")
    assert response.status_code == 201
    assert response.json()["is_following"] is True
    assert response.json()["followers_count"] == 1
    again = auth_client.post(f"/api/users/{other_user.id}/follow/")
    assert again.status_code == 200
    assert Follow.objects.filter(follower=user, followee=other_user).count() == 1
    assert counts(other_user) == (1, 0)
    assert counts(user) == (0, 1)


def test_follow_self_is_400(auth_client, user):
    response = auth_client.post(f"/api/users/{user.id}/follow/")
    assert response.status_code == 400
    assert "yourself" in response.json()["detail"]
    assert not Follow.objects.exists()


def test_follow_unknown_user_is_404(auth_client):
    assert auth_client.post("/api/users/424242/follow/").status_code == 404


def test_follow_requires_authentication(api_client, other_user):
    assert api_client.post(f"/api/users/{other_user.id}/follow/").status_code == 401
    assert api_client.post(f"/api/users/{other_user.id}/unfollow/").status_code == 401


def test_unfollow_removes_follow_and_counts(auth_client, user, other_user):
    auth_client.post(f"/api/users/{other_user.id}/follow/")
    response = auth_client.post(f"/api/users/{other_user.id}/unfollow/")
    assert response.status_code == 200
    assert response.json()["is_following"] is False
    assert not Follow.objects.exists()
    assert counts(other_user) == (0, 0) and counts(user) == (0, 0)


def test_unfollow_when_not_following_is_ok(auth_client, user, other_user):
    response = auth_client.post(f"/api/users/{other_user.id}/unfollow/")
    assert response.status_code == 200
    assert counts(other_user) == (0, 0) and counts(user) == (0, 0)


def test_unfollow_unknown_user_is_404(auth_client):
    assert auth_client.post("/api/users/424242/unfollow/").status_code == 404


def test_follow_flags_for_viewer(client_for, user, other_user):
    client_for(other_user).post(f"/api/users/{user.id}/follow/")
    body = client_for(user).get(f"/api/users/{other_user.id}/").json()
    assert body["is_following"] is False
    assert body["follows_you"] is True


def test_followers_and_following_lists(api_client, client_for):
    star = UserFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    followers = api_client.get(f"/api/users/{star.id}/followers/").json()
    assert set(followers) == {"next", "previous", "results"}
    # Most recent follow first.
    assert [u["id"] for u in followers["results"]] == [f.id for f in reversed(fans)]
    following = api_client.get(f"/api/users/{fans[0].id}/following/").json()
    assert [u["id"] for u in following["results"]] == [star.id]
    assert set(following["results"][0]) == USER_FIELDS


def test_followers_list_cursor_pages(api_client, client_for):
    star = UserFactory()
    for fan in UserFactory.create_batch(5):
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    first = api_client.get(f"/api/users/{star.id}/followers/", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    seen = [u["id"] for u in first["results"] + second["results"]]
    assert len(set(seen)) == 5


def test_followers_of_unknown_user_is_404(api_client):
    assert api_client.get("/api/users/999/followers/").status_code == 404
    assert api_client.get("/api/users/999/following/").status_code == 404


def test_followers_query_count_does_not_grow(client_for, django_assert_max_num_queries):
    star = UserFactory()
    viewer = client_for(UserFactory())
    client_for(UserFactory()).post(f"/api/users/{star.id}/follow/")
    with django_assert_max_num_queries(4):
        assert len(viewer.get(f"/api/users/{star.id}/followers/").json()["results"]) == 1
    for fan in UserFactory.create_batch(19):
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    with django_assert_max_num_queries(4):
        assert len(viewer.get(f"/api/users/{star.id}/followers/").json()["results"]) == 20


def test_self_follow_is_refused_by_the_database(user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=user, followee=user)


def test_duplicate_follow_is_refused_by_the_database(user, other_user):
    from django.db import IntegrityError, transaction

    Follow.objects.create(follower=user, followee=other_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=user, followee=other_user)
