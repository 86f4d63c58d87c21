"""Per-post visibility (public, unlisted, followers) and protected accounts on every read path: a
matrix of read paths × viewers (anonymous, the author, a follower of both authors, someone who
follows neither), plus creation, retweets, notifications and query counts."""

import pytest
from django.core.cache import cache

from notifications.models import Notification
from posts.feed import timelines
from posts.models import Post, Retweet
from posts.tests.conftest import use_feed_backend
from posts.tests.reads import listed_ids
from users.services import api_key_create
from users.tests.factories import UserFactory

UPDATE = "/api/users/profiles/update_my_profile/"


def create(client, content, **extra):
    return client.post("/api/posts/", {"content": content, **extra}, format="json")


def post(client, content, **extra) -> int:
    response = create(client, content, **extra)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def ids(response) -> set[int]:
    return set(listed_ids(response))


@pytest.fixture
def world(client_for):
    """``author`` (open) writes ``pub``, ``unl`` and ``fol`` (one of each visibility); ``locked``
    writes ``lp`` (public, before protecting the account), then protects it and writes ``lf``
    (asked public, stored followers) and ``lr`` (a reply to ``pub``). ``follower`` follows both
    (``locked`` from before the protection); ``stranger`` follows ``relay``, who retweeted ``pub``
    and ``lp`` before the protection. Every post says "findme" with #topic."""
    author, locked, follower, stranger, relay = UserFactory.create_batch(5)
    for followee in (author, locked):
        assert client_for(follower).post(f"/api/users/{followee.id}/follow/").status_code == 201
    client_for(stranger).post(f"/api/users/{relay.id}/follow/")
    w = {"author": author, "locked": locked, "follower": follower, "stranger": stranger, "relay": relay}
    w["pub"] = post(client_for(author), "pub findme #topic")
    w["unl"] = post(client_for(author), "unl findme #topic", visibility="unlisted")
    w["fol"] = post(client_for(author), "fol findme #topic", visibility="followers")
    w["lp"] = post(client_for(locked), "lp findme #topic")
    for target in ("pub", "lp"):
        assert client_for(relay).post(f"/api/posts/{w[target]}/retweet/").status_code == 200
    assert client_for(locked).patch(UPDATE, {"is_protected": True}, format="json").status_code == 200
    w["lf"] = post(client_for(locked), "lf findme #topic", visibility="public")
    w["lr"] = post(client_for(locked), "lr findme #topic", reply_to=w["pub"])
    for name in ("stranger", "follower"):
        w[f"{name}_key"] = api_key_create(user=w[name], name="front end")[1]
    cache.delete("posts:trending")
    return w


ALL = ("pub", "unl", "fol", "lp", "lf", "lr")
# What each viewer may see of the world's posts.
VISIBLE = {
    "anonymous": {"pub", "unl"},
    "stranger": {"pub", "unl"},
    "author": {"pub", "unl", "fol"},
    "follower": set(ALL),
}
VIEWERS = list(VISIBLE)


def as_viewer(name, w, api_client, client_for):
    return api_client if name == "anonymous" else client_for(w[name])


def named(w, names) -> set[int]:
    return {w[name] for name in names}


# Each read path: a function of (client, world) giving the ids it shows, and the expected names as a
# function of the viewer's visible set.
LISTED = {
    "all posts": (lambda c, w: ids(c.get("/api/posts/")), lambda v: v - {"unl"}),
    "all posts ?hashtag=": (lambda c, w: ids(c.get("/api/posts/", {"hashtag": "topic"})), lambda v: v - {"unl"}),
    "all posts ?search=": (lambda c, w: ids(c.get("/api/posts/", {"search": "findme"})), lambda v: v - {"unl"}),
    "author's posts": (
        lambda c, w: ids(c.get("/api/posts/", {"author": w["author"].id})),
        lambda v: v & {"pub", "unl", "fol"},
    ),
    "protected author's posts": (
        lambda c, w: ids(c.get("/api/posts/", {"author": w["locked"].id})),
        lambda v: v & {"lp", "lf", "lr"},
    ),
    "hashtag list": (lambda c, w: ids(c.get("/api/hashtags/topic/posts/")), lambda v: v - {"unl"}),
    "search": (lambda c, w: ids(c.get("/api/search/", {"q": "findme"})), lambda v: v - {"unl"}),
    "replies": (lambda c, w: ids(c.get(f"/api/posts/{w['pub']}/replies/")), lambda v: v & {"lr"}),
    "detail": (
        lambda c, w: {w[n] for n in ALL if c.get(f"/api/posts/{w[n]}/").status_code == 200},
        lambda v: v,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("path", list(LISTED))
def test_read_paths_show_what_the_viewer_may_see(world, api_client, client_for, viewer, path):
    shows, expected = LISTED[path]
    client = as_viewer(viewer, world, api_client, client_for)
    assert shows(client, world) == named(world, expected(VISIBLE[viewer]))


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_hidden_posts_are_404_on_the_paths_naming_them(world, api_client, client_for, viewer):
    client = as_viewer(viewer, world, api_client, client_for)
    for name in set(ALL) - VISIBLE[viewer]:
        assert client.get(f"/api/posts/{world[name]}/").status_code == 404
        assert client.get(f"/api/posts/{world[name]}/replies/").status_code == 404
        if viewer != "anonymous":
            assert client.post(f"/api/posts/{world[name]}/like/").status_code == 404
            assert create(client, "hi", reply_to=world[name]).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", VIEWERS)
def test_trending_counts_only_public_posts(world, api_client, client_for, viewer):
    client = as_viewer(viewer, world, api_client, client_for)
    assert client.get("/api/posts/trending_hashtags/").json() == [{"name": "topic", "count": 1}]


@pytest.mark.django_db
@pytest.mark.parametrize(("viewer", "expected"), [("follower", set(ALL)), ("stranger", set())])
def test_the_microblog_feed(world, api_client, viewer, expected):
    api_client.credentials(HTTP_API_KEY=world[f"{viewer}_key"])
    assert ids(api_client.get("/api/tweets")) == named(world, expected)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "redis"])
@pytest.mark.parametrize(("viewer", "expected"), [("follower", set(ALL)), ("stranger", {"pub"}), ("author", None)])
def test_the_feed_in_both_stores(world, client_for, settings, store, viewer, expected):
    """The follower's feed has every post of both; the stranger's has ``pub`` through relay's
    retweet, never ``lp`` (retweeted before its author was protected)."""
    use_feed_backend(settings, store)
    if expected is None:  # the author: their own posts, and the protected reply to them is not theirs
        expected = {"pub", "unl", "fol"}
    client = client_for(world[viewer])
    assert ids(client.get("/api/posts/feed/")) == named(world, expected)
    # Warm representations give the same.
    assert ids(client.get("/api/posts/feed/")) == named(world, expected)


@pytest.mark.django_db(transaction=True)
def test_the_redis_fanout_never_gives_a_followers_post_to_a_non_follower(client_for, settings):
    """``relay`` follows ``author`` and may see the followers-only post, but can't retweet it, so
    ``stranger`` (who follows relay) never gets it in their timeline."""
    use_feed_backend(settings, "redis")
    author, relay, stranger, fan = UserFactory.create_batch(4)
    client_for(relay).post(f"/api/users/{author.id}/follow/")
    client_for(fan).post(f"/api/users/{author.id}/follow/")
    client_for(stranger).post(f"/api/users/{relay.id}/follow/")
    for user in (stranger, fan):
        client_for(user).get("/api/posts/feed/")  # builds their timelines
    secret = post(client_for(author), "for followers", visibility="followers")
    assert client_for(relay).post(f"/api/posts/{secret}/retweet/").status_code == 403
    conn = timelines.client()

    def members(user) -> set[int]:
        return {int(m) for m in conn.zrange(timelines.home_keys(user.id)[0], 0, -1)}

    assert secret in members(fan)
    assert secret not in members(stranger)
    assert ids(client_for(fan).get("/api/posts/feed/")) == {secret}
    assert ids(client_for(stranger).get("/api/posts/feed/")) == set()


@pytest.mark.django_db
def test_an_approved_request_shows_the_posts_at_once(client_for, django_capture_on_commit_callbacks):
    locked, fan = UserFactory(), UserFactory()
    client_for(locked).patch(UPDATE, {"is_protected": True}, format="json")
    secret = post(client_for(locked), "hello")
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(fan).post(f"/api/users/{locked.id}/follow/").status_code == 202
    assert client_for(fan).get(f"/api/posts/{secret}/").status_code == 404
    assert ids(client_for(fan).get("/api/posts/feed/")) == set()
    (request_id,) = [r["id"] for r in client_for(locked).get("/api/users/follow_requests/").json()["results"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(locked).post(f"/api/users/follow_requests/{request_id}/approve/").status_code == 200
    assert client_for(fan).get(f"/api/posts/{secret}/").status_code == 200
    assert ids(client_for(fan).get("/api/posts/feed/")) == {secret}
    # Turning protection off makes them public again.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(locked).patch(UPDATE, {"is_protected": False}, format="json")
    assert Post.objects.get(pk=secret).visibility == "followers"  # stored so: created while protected
    assert client_for(UserFactory()).get(f"/api/posts/{secret}/").status_code == 404


# --- Creation and retweets --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", ["public", "unlisted", "followers"])
def test_create_takes_visibility(auth_client, visibility):
    response = create(auth_client, "hello", visibility=visibility)
    assert response.status_code == 201
    assert response.json()["visibility"] == visibility
    assert Post.objects.get().visibility == visibility


@pytest.mark.django_db
def test_create_defaults_to_public(auth_client):
    assert create(auth_client, "hello").json()["visibility"] == "public"


@pytest.mark.django_db
@pytest.mark.parametrize("visibility", ["secret", "", "PUBLIC", None, 3, ["public"]])
def test_create_with_another_visibility_is_400(auth_client, visibility):
    response = create(auth_client, "hello", visibility=visibility)
    assert response.status_code == 400
    assert "visibility" in response.json()
    assert not Post.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("asked", ["public", "unlisted", "followers", None])
def test_a_protected_accounts_posts_are_stored_as_followers(auth_client, asked):
    auth_client.patch(UPDATE, {"is_protected": True}, format="json")
    extra = {"visibility": asked} if asked else {}
    response = create(auth_client, "hello", **extra)
    assert response.status_code == 201 and response.json()["visibility"] == "followers"
    assert Post.objects.get().visibility == "followers"


@pytest.mark.django_db
def test_followers_and_protected_posts_cant_be_retweeted(world, client_for):
    follower = client_for(world["follower"])
    for name in ("fol", "lp", "lf", "lr"):
        response = follower.post(f"/api/posts/{world[name]}/retweet/")
        assert response.status_code == 403, name
        assert set(response.json()) == {"detail"}
    assert not Retweet.objects.filter(user=world["follower"]).exists()
    assert follower.post(f"/api/posts/{world['unl']}/retweet/").status_code == 200
    # Hidden ones are 404 before anything else.
    assert client_for(world["stranger"]).post(f"/api/posts/{world['fol']}/retweet/").status_code == 404


# --- Notifications ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_replies_and_mentions_notify_only_who_may_see_them(client_for, django_capture_on_commit_callbacks):
    author, fan, stranger = UserFactory.create_batch(3)
    client_for(fan).post(f"/api/users/{author.id}/follow/")
    parent = post(client_for(stranger), "a question")
    mentions = f"@{fan.username} @{stranger.username}"
    with django_capture_on_commit_callbacks(execute=True):
        secret = post(client_for(author), f"for followers {mentions}", visibility="followers")
        reply = post(client_for(author), "an answer for followers", visibility="followers", reply_to=parent)
        open_post = post(client_for(author), f"unlisted {mentions}", visibility="unlisted")
    rows = set(Notification.objects.values_list("recipient_id", "type", "post_id"))
    assert rows == {
        (fan.id, "mention", secret),
        (fan.id, "mention", open_post),
        (stranger.id, "mention", open_post),
    }
    assert reply not in {post_id for _, _, post_id in rows}


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/posts/",
        "/api/posts/?author={author}",
        "/api/hashtags/tag/posts/",
        "/api/search/?q=tag&type=posts",
        "/api/posts/feed/",
    ],
)
def test_lists_with_restricted_posts_run_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, url, settings
):
    use_feed_backend(settings, "database")
    locked, fan = UserFactory(), UserFactory()
    client_for(fan).post(f"/api/users/{locked.id}/follow/")
    client_for(locked).patch(UPDATE, {"is_protected": True}, format="json")
    viewer = client_for(fan)
    url = url.format(author=locked.id)
    post(client_for(locked), "#tag one")
    cache.clear()
    with django_assert_max_num_queries(8) as first:
        assert len(ids(viewer.get(url))) == 1
    queries_for_one = len(first.captured_queries)
    for i in range(19):
        post(client_for(locked), f"#tag {i}", visibility="unlisted" if i % 2 else "public")
    cache.clear()
    with django_assert_max_num_queries(queries_for_one):
        assert len(ids(viewer.get(url))) == 20
