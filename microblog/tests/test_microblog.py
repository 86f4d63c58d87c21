"""The microblog front-end API: api-key auth, envelopes, every row of the contract."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from media.models import Media
from media.tests.images import upload
from posts.models import Like, Post
from posts.tests.factories import PostFactory
from users.models import ApiKey, Follow
from users.services import api_key_create, api_key_revoke
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def key_client(user, name="front end") -> APIClient:
    _, key = api_key_create(user=user, name=name)
    client = APIClient()
    client.credentials(HTTP_API_KEY=key)
    client.user = user
    return client


@pytest.fixture
def alice():
    return UserFactory(username="alice", display_name="Alice A.")


@pytest.fixture
def bob():
    return UserFactory(username="bob")


@pytest.fixture
def client(alice):
    return key_client(alice)


def assert_error(response, status: int, error_type: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"result", "error_type", "error_message"}
    assert body["result"] is False and body["error_type"] == error_type and body["error_message"]


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/tweets"),
        ("post", "/api/tweets"),
        ("delete", "/api/tweets/1"),
        ("post", "/api/tweets/1/likes"),
        ("delete", "/api/tweets/1/likes"),
        ("post", "/api/medias"),
        ("post", "/api/users/1/follow"),
        ("delete", "/api/users/1/follow"),
        ("get", "/api/users/me"),
        ("get", "/api/users/1"),
    ],
)
def test_every_path_needs_a_valid_key(api_client, method, path):
    assert_error(getattr(api_client, method)(path), 401, "Unauthorized")
    assert_error(getattr(api_client, method)(path, HTTP_API_KEY="nope"), 401, "Unauthorized")


def test_revoked_key_is_401(alice):
    api_key, key = api_key_create(user=alice, name="old")
    client = APIClient()
    client.credentials(HTTP_API_KEY=key)
    assert client.get("/api/users/me").status_code == 200
    api_key_revoke(api_key=api_key)
    assert_error(client.get("/api/users/me"), 401, "Unauthorized")


def test_key_of_a_deactivated_user_is_401(alice, client):
    alice.is_active = False
    alice.save()
    assert_error(client.get("/api/users/me"), 401, "Unauthorized")


def test_key_use_sets_last_used(client, alice):
    assert ApiKey.objects.get(user=alice).last_used_at is None
    client.get("/api/users/me")
    assert ApiKey.objects.get(user=alice).last_used_at is not None


def test_keys_are_stored_hashed(alice):
    api_key, key = api_key_create(user=alice, name="x")
    stored = ApiKey.objects.filter(pk=api_key.pk).values_list("key_hash", "prefix").get()
    assert key not in stored[0] and len(stored[0]) == 64
    assert stored[1] == key[:8]


def test_jwt_does_not_open_the_microblog_api_and_api_key_does_not_open_the_jwt_api(client, alice):
    from rest_framework_simplejwt.tokens import RefreshToken

    jwt_client = APIClient()
    jwt_client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(alice).access_token}")
    assert_error(jwt_client.get("/api/users/me"), 401, "Unauthorized")
    assert client.get("/api/users/me/").status_code == 401  # the JWT API ignores api-key
    jwt_me = jwt_client.get("/api/users/me/")
    assert jwt_me.status_code == 200 and "email" in jwt_me.json() and "result" not in jwt_me.json()


def test_paths_with_a_trailing_slash_are_not_the_microblog_api(client):
    assert client.get("/api/tweets/").status_code == 404
    assert client.post("/api/medias/").status_code == 404


# --- tweets ---------------------------------------------------------------------------------


def test_post_tweet(client, alice):
    response = client.post("/api/tweets", {"tweet_data": "Hello from the front end #vue"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"result", "tweet_id"} and body["result"] is True
    post = Post.objects.get(pk=body["tweet_id"])
    assert post.author == alice and post.content == "Hello from the front end #vue"
    assert list(post.hashtags.values_list("name", flat=True)) == ["vue"]


def test_post_tweet_with_media(client):
    media_id = client.post("/api/medias", {"file": upload()}, format="multipart").json()["media_id"]
    response = client.post("/api/tweets", {"tweet_data": "pic", "tweet_media_ids": [media_id]}, format="json")
    assert response.status_code == 201
    assert Media.objects.get(pk=media_id).post_id == response.json()["tweet_id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"tweet_data": ""},
        {"tweet_data": "   "},
        {"tweet_data": "x" * 281},
        {"tweet_data": "ok", "tweet_media_ids": "x"},
    ],
)
def test_bad_tweet_bodies_are_422(client, body):
    assert_error(client.post("/api/tweets", body, format="json"), 422, "ValidationError")
    assert not Post.objects.exists()


def test_foreign_or_unknown_media_ids_are_422(client, bob):
    theirs = key_client(bob).post("/api/medias", {"file": upload()}, format="multipart").json()["media_id"]
    for ids in ([theirs], [999999]):
        assert_error(
            client.post("/api/tweets", {"tweet_data": "x", "tweet_media_ids": ids}, format="json"),
            422,
            "ValidationError",
        )


def test_malformed_json_is_400(client):
    assert_error(client.post("/api/tweets", "{oops", content_type="application/json"), 400, "BadRequest")


def test_delete_own_tweet(client, alice):
    post = PostFactory(author=alice)
    response = client.delete(f"/api/tweets/{post.id}")
    assert response.status_code == 200 and response.json() == {"result": True}
    assert not Post.objects.filter(pk=post.pk).exists()


def test_delete_someone_elses_tweet_is_403(client, bob):
    post = PostFactory(author=bob)
    assert_error(client.delete(f"/api/tweets/{post.id}"), 403, "Forbidden")
    assert Post.objects.filter(pk=post.pk).exists()


@pytest.mark.parametrize("tweet_id", ["999999", "abc", "0", "-1"])
def test_unknown_tweet_is_404(client, tweet_id):
    assert_error(client.delete(f"/api/tweets/{tweet_id}"), 404, "NotFound")
    assert_error(client.post(f"/api/tweets/{tweet_id}/likes"), 404, "NotFound")


def test_like_and_unlike(client, alice, bob):
    post = PostFactory(author=bob)
    for _ in range(2):
        response = client.post(f"/api/tweets/{post.id}/likes")
        assert response.status_code == 200 and response.json() == {"result": True}
    assert Like.objects.filter(user=alice, post=post).count() == 1
    post.refresh_from_db()
    assert post.likes_count == 1
    for _ in range(2):
        assert client.delete(f"/api/tweets/{post.id}/likes").json() == {"result": True}
    post.refresh_from_db()
    assert post.likes_count == 0 and not Like.objects.exists()


def test_wrong_method_is_405_envelope(client):
    assert_error(client.put("/api/tweets", {}, format="json"), 405, "MethodNotAllowed")


# --- media ----------------------------------------------------------------------------------


def test_upload_media(client, alice):
    response = client.post("/api/medias", {"file": upload(fmt="JPEG", name="a.jpg")}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"result", "media_id"} and body["result"] is True
    assert Media.objects.get(pk=body["media_id"]).owner == alice


def test_upload_not_an_image_is_422(client):
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    assert_error(client.post("/api/medias", {"file": fake}, format="multipart"), 422, "ValidationError")
    assert_error(client.post("/api/medias", {}, format="multipart"), 422, "ValidationError")


def test_upload_too_large_is_413(client, settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 50
    assert_error(
        client.post("/api/medias", {"file": upload(size=(100, 100))}, format="multipart"), 413, "PayloadTooLarge"
    )


def test_upload_as_json_is_415(client):
    assert_error(client.post("/api/medias", {"file": "x"}, format="json"), 415, "UnsupportedMediaType")


# --- follows and users ----------------------------------------------------------------------


def test_follow_and_unfollow(client, alice, bob):
    for _ in range(2):
        assert client.post(f"/api/users/{bob.id}/follow").json() == {"result": True}
    assert Follow.objects.filter(follower=alice, followee=bob).count() == 1
    for _ in range(2):
        assert client.delete(f"/api/users/{bob.id}/follow").json() == {"result": True}
    assert not Follow.objects.exists()


def test_follow_yourself_is_400(client, alice):
    assert_error(client.post(f"/api/users/{alice.id}/follow"), 400, "BadRequest")


def test_follow_unknown_user_is_404(client):
    assert_error(client.post("/api/users/999999/follow"), 404, "NotFound")
    assert_error(client.delete("/api/users/nope/follow"), 404, "NotFound")


def test_me_and_user(client, alice, bob):
    carol = UserFactory(username="carol", display_name="Carol")
    client.post(f"/api/users/{bob.id}/follow")
    key_client(carol).post(f"/api/users/{alice.id}/follow")
    me = client.get("/api/users/me")
    assert me.status_code == 200
    assert me.json() == {
        "result": True,
        "user": {
            "id": alice.id,
            "name": "Alice A.",
            "followers": [{"id": carol.id, "name": "Carol"}],
            "following": [{"id": bob.id, "name": "bob"}],
        },
    }
    other = client.get(f"/api/users/{bob.id}").json()
    assert other == {
        "result": True,
        "user": {"id": bob.id, "name": "bob", "followers": [{"id": alice.id, "name": "Alice A."}], "following": []},
    }


def test_user_runs_a_fixed_number_of_queries(client, alice, bob, django_assert_max_num_queries):
    def follow_both_ways():
        fan = UserFactory()
        Follow.objects.create(follower=fan, followee=bob)
        Follow.objects.create(follower=bob, followee=fan)

    follow_both_ways()
    with django_assert_max_num_queries(5) as one:
        user = client.get(f"/api/users/{bob.id}").json()["user"]
    assert len(user["followers"]) == len(user["following"]) == 1
    for _ in range(19):
        follow_both_ways()
    with django_assert_max_num_queries(len(one.captured_queries)):
        user = client.get(f"/api/users/{bob.id}").json()["user"]
    assert len(user["followers"]) == len(user["following"]) == 20


def test_suspended_accounts_are_not_listed_as_followers_or_likers(client, alice, bob):
    suspended = UserFactory()
    client.post(f"/api/users/{bob.id}/follow")
    Follow.objects.create(follower=suspended, followee=alice)
    Follow.objects.create(follower=alice, followee=suspended)
    post = PostFactory(author=bob)
    Like.objects.create(user=suspended, post=post)
    Like.objects.create(user=bob, post=post)
    suspended.is_active = False
    suspended.save(update_fields=["is_active"])
    me = client.get("/api/users/me").json()["user"]
    assert me["followers"] == [] and me["following"] == [{"id": bob.id, "name": "bob"}]
    assert client.get("/api/tweets").json()["tweets"][0]["likes"] == [{"user_id": bob.id, "name": "bob"}]


def test_unknown_user_is_404(client):
    assert_error(client.get("/api/users/424242"), 404, "NotFound")
    assert_error(client.get("/api/users/x1"), 404, "NotFound")


# --- the feed -------------------------------------------------------------------------------


def test_feed_is_followed_and_own_tweets_most_liked_first(client, alice, bob):
    carol, stranger = UserFactory(display_name="Carol"), UserFactory()
    client.post(f"/api/users/{bob.id}/follow")
    mine = PostFactory(author=alice, content="mine")
    bobs_old = PostFactory(author=bob, content="bob old")
    bobs_new = PostFactory(author=bob, content="bob new")
    popular = PostFactory(author=bob, content="popular")
    PostFactory(author=stranger, content="not in my feed")
    for fan in (carol, stranger):
        key_client(fan).post(f"/api/tweets/{popular.id}/likes")
    key_client(carol).post(f"/api/tweets/{mine.id}/likes")
    body = client.get("/api/tweets").json()
    assert body["result"] is True
    assert [t["id"] for t in body["tweets"]] == [popular.id, mine.id, bobs_new.id, bobs_old.id]
    top = body["tweets"][0]
    assert set(top) == {"id", "content", "attachments", "author", "likes"}
    assert top["author"] == {"id": bob.id, "name": "bob"}
    assert top["likes"] == [{"user_id": carol.id, "name": "Carol"}, {"user_id": stranger.id, "name": stranger.username}]


def test_feed_attachments_are_loadable_urls(client, alice, settings):
    settings.SERVE_MEDIA = True
    media_id = client.post("/api/medias", {"file": upload(fmt="PNG")}, format="multipart").json()["media_id"]
    client.post("/api/tweets", {"tweet_data": "with picture", "tweet_media_ids": [media_id]}, format="json")
    attachments = client.get("/api/tweets").json()["tweets"][0]["attachments"]
    assert len(attachments) == 1 and attachments[0].startswith("http://testserver/media/uploads/")
    assert client.get(attachments[0].removeprefix("http://testserver")).status_code == 200


def test_feed_pages_with_one_based_offset(client, alice):
    posts = [PostFactory(author=alice, content=f"p{i}") for i in range(5)]
    newest_first = [p.id for p in reversed(posts)]
    page = lambda **q: [t["id"] for t in client.get("/api/tweets", q).json()["tweets"]]  # noqa: E731
    assert page(offset=1, limit=2) == newest_first[:2]
    assert page(offset=2, limit=2) == newest_first[2:4]
    assert page(offset=3, limit=2) == newest_first[4:]
    assert page(offset=0, limit=2) == newest_first[:2]
    assert page() == newest_first
    assert page(limit=1000) == newest_first  # capped at 200


@pytest.mark.parametrize("query", [{"offset": "x"}, {"limit": "0"}, {"offset": "-1"}])
def test_feed_bad_paging_is_422(client, query):
    assert_error(client.get("/api/tweets", query), 422, "ValidationError")


def test_feed_runs_a_fixed_number_of_queries(client, alice, bob, django_assert_max_num_queries):
    client.post(f"/api/users/{bob.id}/follow")
    fans = [UserFactory() for _ in range(3)]

    def tweet():
        post = PostFactory(author=bob)
        for fan in fans:
            Like.objects.create(user=fan, post=post)

    tweet()
    with django_assert_max_num_queries(8) as one:
        assert len(client.get("/api/tweets").json()["tweets"]) == 1
    queries_for_one = len(one.captured_queries)
    for _ in range(19):
        tweet()
    with django_assert_max_num_queries(queries_for_one):
        assert len(client.get("/api/tweets").json()["tweets"]) == 20


def test_a_browser_asking_for_html_still_gets_the_json_envelope(client):
    from django.urls import get_resolver
    from rest_framework.renderers import JSONRenderer

    # In development (DEBUG) the JWT API also offers the browsable API; this API never does.
    views = [p.callback.view_class for p in get_resolver().url_patterns[0].url_patterns]
    assert views and all(view.renderer_classes == [JSONRenderer] for view in views)
    response = client.get("/api/users/me", headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["result"] is True
