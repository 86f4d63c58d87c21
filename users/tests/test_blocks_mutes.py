"""Blocks and mutes: the endpoints, their effects on follows and counters, the relationship flags
on user representations, and a block racing a follow on PostgreSQL."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from users import selectors, services
from users.models import Block, Follow, Mute, Profile
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHORT_FIELDS = {"id", "username", "display_name", "avatar"}


def counts(user):
    profile = Profile.objects.get(pk=user.pk)
    return profile.followers_count, profile.following_count


# --- Block ------------------------------------------------------------------------------------


def test_block_is_201_then_200_and_removes_follows_both_ways(client_for):
    alice, bob = UserFactory(), UserFactory()
    a, b = client_for(alice), client_for(bob)
    assert a.post(f"/api/users/{bob.id}/follow/").status_code == 201
    assert b.post(f"/api/users/{alice.id}/follow/").status_code == 201
    response = a.post(f"/api/users/{bob.id}/block/")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == bob.id
    assert body["is_blocking"] is True and body["is_blocked_by"] is False and body["is_muting"] is False
    assert body["is_following"] is False and body["follows_you"] is False
    assert not Follow.objects.filter(follower__in=[alice, bob]).exists()
    assert counts(alice) == (0, 0) and counts(bob) == (0, 0)
    assert Block.objects.filter(blocker=alice, blocked=bob).count() == 1
    again = a.post(f"/api/users/{bob.id}/block/")
    assert again.status_code == 200
    assert Block.objects.filter(blocker=alice, blocked=bob).count() == 1


def test_block_self_is_400_unknown_404_anonymous_401(client_for, api_client):
    alice = UserFactory()
    a = client_for(alice)
    response = a.post(f"/api/users/{alice.id}/block/")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert a.post("/api/users/999999/block/").status_code == 404
    assert a.post("/api/users/999999/unblock/").status_code == 404
    assert api_client.post(f"/api/users/{alice.id}/block/").status_code == 401
    assert not Block.objects.exists()


def test_unblock_is_200_whether_or_not_blocking_and_does_not_restore_follows(client_for):
    alice, bob = UserFactory(), UserFactory()
    a = client_for(alice)
    assert a.post(f"/api/users/{bob.id}/unblock/").status_code == 200
    a.post(f"/api/users/{bob.id}/follow/")
    a.post(f"/api/users/{bob.id}/block/")
    response = a.post(f"/api/users/{bob.id}/unblock/")
    assert response.status_code == 200
    assert response.json()["is_blocking"] is False
    assert not Block.objects.exists()
    assert not Follow.objects.exists()


def test_blocked_user_sees_is_blocked_by_and_cannot_follow_either_way(client_for):
    alice, bob = UserFactory(), UserFactory()
    a, b = client_for(alice), client_for(bob)
    a.post(f"/api/users/{bob.id}/block/")
    body = b.get(f"/api/users/{alice.id}/").json()
    assert body["is_blocked_by"] is True and body["is_blocking"] is False
    response = b.post(f"/api/users/{alice.id}/follow/")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert a.post(f"/api/users/{bob.id}/follow/").status_code == 403
    assert not Follow.objects.exists()
    a.post(f"/api/users/{bob.id}/unblock/")
    assert b.post(f"/api/users/{alice.id}/follow/").status_code == 201


def test_blocks_list_most_recent_first_short_users(client_for, api_client):
    alice = UserFactory()
    a = client_for(alice)
    first, second = UserFactory(), UserFactory()
    a.post(f"/api/users/{first.id}/block/")
    a.post(f"/api/users/{second.id}/block/")
    Block.objects.filter(blocked=first).update(created_at=timezone.now() - timedelta(minutes=5))
    response = a.get("/api/users/blocks/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [u["id"] for u in body["results"]] == [second.id, first.id]
    assert set(body["results"][0]) == SHORT_FIELDS
    page = a.get("/api/users/blocks/", {"page_size": 1}).json()
    assert [u["id"] for u in page["results"]] == [second.id] and page["next"]
    assert api_client.get("/api/users/blocks/").status_code == 401


# --- Mute -------------------------------------------------------------------------------------


def test_mute_is_201_then_200_replacing_settings(client_for):
    alice, bob = UserFactory(), UserFactory()
    a = client_for(alice)
    response = a.post(f"/api/users/{bob.id}/mute/", {}, format="json")
    assert response.status_code == 201
    assert response.json()["is_muting"] is True
    mute = Mute.objects.get(muter=alice, muted=bob)
    assert mute.notifications is True and mute.expires_at is None
    response = a.post(f"/api/users/{bob.id}/mute/", {"notifications": False, "duration": 3600}, format="json")
    assert response.status_code == 200
    mute.refresh_from_db()
    assert mute.notifications is False
    assert timedelta(minutes=59) < mute.expires_at - timezone.now() <= timedelta(hours=1)
    assert Mute.objects.count() == 1


def test_mute_errors(client_for, api_client):
    alice, bob = UserFactory(), UserFactory()
    a = client_for(alice)
    assert a.post(f"/api/users/{alice.id}/mute/", {}, format="json").status_code == 400
    assert a.post("/api/users/999999/mute/", {}, format="json").status_code == 404
    for bad in ({"duration": 59}, {"duration": "soon"}, {"duration": -1}, {"notifications": "maybe"}):
        response = a.post(f"/api/users/{bob.id}/mute/", bad, format="json")
        assert response.status_code == 400, bad
        assert set(response.json()) <= {"duration", "notifications"}
    assert api_client.post(f"/api/users/{bob.id}/mute/", {}, format="json").status_code == 401
    assert not Mute.objects.exists()


def test_unmute_is_200_whether_or_not_muting(client_for):
    alice, bob = UserFactory(), UserFactory()
    a = client_for(alice)
    assert a.post(f"/api/users/{bob.id}/unmute/").status_code == 200
    a.post(f"/api/users/{bob.id}/mute/", {}, format="json")
    response = a.post(f"/api/users/{bob.id}/unmute/")
    assert response.status_code == 200
    assert response.json()["is_muting"] is False
    assert not Mute.objects.exists()
    assert a.post("/api/users/999999/unmute/").status_code == 404


def test_mute_with_a_duration_ends_by_itself(client_for):
    alice, bob = UserFactory(), UserFactory()
    a = client_for(alice)
    a.post(f"/api/users/{bob.id}/mute/", {"duration": 60}, format="json")
    assert a.get(f"/api/users/{bob.id}/").json()["is_muting"] is True
    assert bob.pk in selectors.relationship_sets(alice).muted()
    # The cached sets hold the expiry: the mute ends on reads without anything invalidating them.
    later = timezone.now() + timedelta(seconds=61)
    assert bob.pk not in selectors.relationship_sets(alice).muted(now=later)
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert a.get(f"/api/users/{bob.id}/").json()["is_muting"] is False
    assert a.get("/api/users/mutes/").json()["results"] == []
    # Muting again after the end is a new mute.
    assert a.post(f"/api/users/{bob.id}/mute/", {}, format="json").status_code == 201


def test_mutes_list_with_settings_most_recent_first(client_for, api_client):
    alice = UserFactory()
    a = client_for(alice)
    first, second = UserFactory(), UserFactory()
    a.post(f"/api/users/{first.id}/mute/", {"duration": 600, "notifications": False}, format="json")
    a.post(f"/api/users/{second.id}/mute/", {}, format="json")
    Mute.objects.filter(muted=first).update(created_at=timezone.now() - timedelta(minutes=1))
    response = a.get("/api/users/mutes/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [u["id"] for u in results] == [second.id, first.id]
    assert set(results[0]) == SHORT_FIELDS | {"mute_expires_at", "mute_notifications"}
    assert results[0]["mute_expires_at"] is None and results[0]["mute_notifications"] is True
    assert results[1]["mute_expires_at"] is not None and results[1]["mute_notifications"] is False
    assert api_client.get("/api/users/mutes/").status_code == 401


def test_relationship_sets_are_cached_and_forgotten_on_change(client_for, django_assert_num_queries):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    client_for(alice).post(f"/api/users/{bob.id}/block/")
    client_for(carol).post(f"/api/users/{alice.id}/block/")
    client_for(alice).post(f"/api/users/{carol.id}/mute/", {"notifications": False}, format="json")
    sets = selectors.relationship_sets(alice)
    assert sets.blocking == {bob.pk} and sets.blocked_by == {carol.pk}
    assert sets.muted() == {carol.pk} and sets.muted_notifications() == set()
    with django_assert_num_queries(0):
        selectors.relationship_sets(alice)
    client_for(bob).post(f"/api/users/{alice.id}/block/")  # the other side changes: forgotten too
    assert selectors.relationship_sets(alice).blocked_by == {bob.pk, carol.pk}
    services.block_delete(blocker=alice, blocked=bob)
    assert selectors.relationship_sets(alice).blocking == set()


@pytest.mark.parametrize("path", ["/api/users/", "/api/users/{id}/followers/"])
def test_user_lists_with_relationship_flags_keep_a_flat_query_count(client_for, django_assert_max_num_queries, path):
    star = UserFactory()
    viewer_user = UserFactory()
    viewer = client_for(viewer_user)
    path = path.format(id=star.id)

    def add_one():
        fan = UserFactory()
        client_for(fan).post(f"/api/users/{star.id}/follow/")
        return fan

    fans = [add_one()]
    services.block_create(blocker=viewer_user, blocked=fans[0])
    with django_assert_max_num_queries(4) as one:
        assert viewer.get(path).status_code == 200
    queries_for_one = len(one.captured_queries)
    for i in range(19):
        fan = add_one()
        if i % 3 == 0:
            services.mute_create(muter=viewer_user, muted=fan)
        elif i % 3 == 1:
            services.block_create(blocker=fan, blocked=viewer_user)
    with django_assert_max_num_queries(queries_for_one):
        results = viewer.get(path, {"page_size": 40}).json()["results"]
    by_id = {u["id"]: u for u in results}
    assert by_id[fans[0].id]["is_blocking"] is True
    assert sum(u["is_muting"] for u in results) == 7
    assert sum(u["is_blocked_by"] for u in results) == 6 if path == "/api/users/" else True


def test_blocks_and_mutes_lists_keep_a_flat_query_count(client_for, django_assert_max_num_queries):
    viewer_user = UserFactory()
    viewer = client_for(viewer_user)
    services.block_create(blocker=viewer_user, blocked=UserFactory())
    services.mute_create(muter=viewer_user, muted=UserFactory())
    counts_for_one = {}
    for path in ("/api/users/blocks/", "/api/users/mutes/"):
        with django_assert_max_num_queries(3) as one:
            assert len(viewer.get(path).json()["results"]) == 1
        counts_for_one[path] = len(one.captured_queries)
    for _ in range(19):
        services.block_create(blocker=viewer_user, blocked=UserFactory())
        services.mute_create(muter=viewer_user, muted=UserFactory(), duration=600)
    for path, queries in counts_for_one.items():
        with django_assert_max_num_queries(queries):
            assert len(viewer.get(path).json()["results"]) == 20


def test_swagger_documents_the_endpoints_and_fields(api_client):
    schema = api_client.get("/swagger.json").json()
    paths = schema["paths"]
    for path in ("/users/{id}/block/", "/users/{id}/unblock/", "/users/{id}/mute/", "/users/{id}/unmute/"):
        assert "post" in paths[path], path
        assert "404" in paths[path]["post"]["responses"]
    assert {"201", "200", "400"} <= set(paths["/users/{id}/mute/"]["post"]["responses"])
    body = next(p for p in paths["/users/{id}/mute/"]["post"]["parameters"] if p["in"] == "body")
    mute_input = schema["definitions"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"notifications", "duration"} <= set(mute_input["properties"])
    for path in ("/users/blocks/", "/users/mutes/"):
        assert "get" in paths[path]
    user = schema["definitions"]["User"]["properties"]
    assert {"is_blocking", "is_blocked_by", "is_muting"} <= set(user)
    muted = json.dumps(paths["/users/mutes/"]["get"]["responses"]["200"])
    assert "MutedUser" in muted
    assert {"mute_expires_at", "mute_notifications"} <= set(schema["definitions"]["MutedUser"]["properties"])
