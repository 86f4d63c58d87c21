"""The safety matrix: every read path × every relationship between a viewer V and an author A,
with what V sees of A's post written out cell by cell (the contract's "Safety" section).

Each relationship gets one world, built once and shared by its cells (each cell runs in a savepoint
rolled back after it): V writes ``parent``; A replies to it with ``post`` ("findme #matrixtag @V",
the row's visibility) and likes it, so V is notified of both. V's feed is read in both stores
before the relationship is set (timelines and cached representations are warm), so every cell also
checks that the relationship takes effect at once. Caches are not emptied between a world's cells.
"""

from collections.abc import Callable

import pytest
from channels.layers import channel_layers
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase, override_settings
from rest_framework.test import APIClient

from posts.feed import timelines
from posts.tests.reads import listed_ids
from tests.support import clear_cache, redis_unavailable_reason, skip_unless_available
from users import services as user_services
from users.models import User
from users.services import api_key_create
from users.tests.factories import UserFactory

UPDATE = "/api/users/profiles/update_my_profile/"
TAG = "matrixtag"

# --- The relationships (rows) ------------------------------------------------------------------
#
# name: (A's post visibility, V follows A before, V is anonymous, what happens once the post exists)
RELATIONSHIPS = {
    "none": ("public", True, False, None),
    "V blocks A": ("public", True, False, "block"),
    "A blocks V": ("public", True, False, "blocked by"),
    "V mutes A": ("public", True, False, "mute"),
    "A protected, V not following": ("public", False, False, "protect"),
    "A protected, V following": ("public", True, False, "protect"),
    "A suspended": ("public", True, False, "suspend"),
    # "public, V following" is the row "none".
    "public, V not following": ("public", False, False, None),
    "public, anonymous": ("public", False, True, None),
    "unlisted, V following": ("unlisted", True, False, None),
    "unlisted, V not following": ("unlisted", False, False, None),
    "unlisted, anonymous": ("unlisted", False, True, None),
    "followers, V following": ("followers", True, False, None),
    "followers, V not following": ("followers", False, False, None),
    "followers, anonymous": ("followers", False, True, None),
}

# --- The matrix ------------------------------------------------------------------------------
#
# Paths naming A's post (or A): the status code V gets.
#   detail      GET  /api/posts/{post}/
#   like        POST /api/posts/{post}/like/
#   its replies GET  /api/posts/{post}/replies/
#   tw like     POST /api/tweets/{post}/likes          (microblog, V's api key)
#   tw delete   DELETE /api/tweets/{post}              (someone else's tweet: 403 when V may see it)
#   profile     GET  /api/users/{A}/
#   followers   GET  /api/users/{A}/followers/
#   following   GET  /api/users/{A}/following/
NAMING = ("detail", "like", "its replies", "tw like", "tw delete", "profile", "followers", "following")
NAMED = {
    #                                detail like its  tw   tw   profile followers following
    #                                            repl like del
    "none":                          (200, 200, 200, 200, 403, 200, 200, 200),
    "V blocks A":                    (404, 404, 404, 404, 404, 200, 200, 200),
    "A blocks V":                    (404, 404, 404, 404, 404, 200, 200, 200),
    "V mutes A":                     (200, 200, 200, 200, 403, 200, 200, 200),
    "A protected, V not following":  (404, 404, 404, 404, 404, 200, 403, 403),
    "A protected, V following":      (200, 200, 200, 200, 403, 200, 403, 403),
    "A suspended":                   (404, 404, 404, 404, 404, 404, 404, 404),
    "public, V not following":       (200, 200, 200, 200, 403, 200, 200, 200),
    "public, anonymous":             (200, 401, 200, 401, 401, 200, 200, 200),
    "unlisted, V following":         (200, 200, 200, 200, 403, 200, 200, 200),
    "unlisted, V not following":     (200, 200, 200, 200, 403, 200, 200, 200),
    "unlisted, anonymous":           (200, 401, 200, 401, 401, 200, 200, 200),
    "followers, V following":        (200, 200, 200, 200, 403, 200, 200, 200),
    "followers, V not following":    (404, 404, 404, 404, 404, 200, 200, 200),
    "followers, anonymous":          (404, 401, 404, 401, 401, 200, 200, 200),
}  # fmt: skip

# Lists: whether A's post is in it (Y) or not (N), or the status code when V can't read the list.
#    1 posts       GET /api/posts/                      the all-posts list
#    2 ?author=    GET /api/posts/?author={A}
#    3 ?hashtag=   GET /api/posts/?hashtag=matrixtag
#    4 ?search=    GET /api/posts/?search=findme
#    5 tag page    GET /api/hashtags/matrixtag/posts/
#    6 replies     GET /api/posts/{parent}/replies/     (A's post replies to V's parent)
#    7 search      GET /api/search/?q=findme&type=posts
#    8 trending    GET /api/posts/trending_hashtags/    (Y: #matrixtag counted, with count 1)
#    9 feed db     GET /api/posts/feed/                 database store
#   10 feed redis  GET /api/posts/feed/                 Redis timelines store (served from the timeline)
#   11 tweets      GET /api/tweets                      microblog feed, V's api key
#   12 n:post      GET /api/notifications/              V's reply/mention notification naming A's post
#   13 n:like      GET /api/notifications/              V's notification of A's like of V's parent
LISTS = (
    "posts", "?author=", "?hashtag=", "?search=", "tag page", "replies", "search", "trending", "feed db",
    "feed redis", "tweets", "n:post", "n:like",
)  # fmt: skip
Y, N = "listed", "absent"
LISTED = {
    #                                 1   2   3   4   5   6   7   8   9   10  11  12  13
    "none":                          (Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y),
    "V blocks A":                    (N,  N,  N,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  N),
    "A blocks V":                    (N,  N,  N,  N,  N,  N,  N,  Y,  N,  N,  N,  N,  N),
    "V mutes A":                     (Y,  Y,  Y,  N,  Y,  N,  N,  Y,  N,  N,  N,  N,  N),
    "A protected, V not following":  (N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  Y),
    "A protected, V following":      (Y,  Y,  Y,  Y,  Y,  Y,  Y,  N,  Y,  Y,  Y,  Y,  Y),
    "A suspended":                   (N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N),
    "public, V not following":       (Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y,  N,  N,  N,  Y,  Y),
    "public, anonymous":             (Y,  Y,  Y,  Y,  Y,  Y,  Y,  Y, 401, 401, 401, 401, 401),
    "unlisted, V following":         (N,  Y,  N,  N,  N,  Y,  N,  N,  Y,  Y,  Y,  Y,  Y),
    "unlisted, V not following":     (N,  Y,  N,  N,  N,  Y,  N,  N,  N,  N,  N,  Y,  Y),
    "unlisted, anonymous":           (N,  Y,  N,  N,  N,  Y,  N,  N, 401, 401, 401, 401, 401),
    "followers, V following":        (Y,  Y,  Y,  Y,  Y,  Y,  Y,  N,  Y,  Y,  Y,  Y,  Y),
    "followers, V not following":    (N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  N,  Y),
    "followers, anonymous":          (N,  N,  N,  N,  N,  N,  N,  N, 401, 401, 401, 401, 401),
}  # fmt: skip

# Notes on the contract behind some cells:
# - Mutes hide A's posts in V's feed (both stores, and the microblog feed), replies and search
#   results (``?search=`` too), and A's notifications; A's post by id and A's lists stay readable.
# - Trending counts are global (cached for everyone): a block or a mute doesn't change them; only
#   public posts of active accounts that are not protected count.
# - A's post was written before A's protection or suspension: the rule applies when it is read.
# - A reply or mention in a post V can't see notifies nobody (``followers, V not following``), and a
#   notification naming a post V can no longer see is not listed (``A protected, V not following``).
# - A suspended account disappears for everyone: profile and lists 404, posts and notifications gone.


# --- The world -------------------------------------------------------------------------------


def client_as(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


def redis_available() -> bool:
    return redis_unavailable_reason() is None


def read_feed(viewer: User, store: str) -> list[int]:
    """V's feed in one store; in Redis, the timeline is built first (the first read asks for it
    after commit) so that the page comes from Redis."""
    with override_settings(FEED_BACKEND="redis" if store == "redis" else "db"):
        if store == "redis":
            with TestCase.captureOnCommitCallbacks(execute=True):
                client_as(viewer).get("/api/posts/feed/")
            assert timelines.client().exists(timelines.home_keys(viewer.pk)[0])
        return listed_ids(client_as(viewer).get("/api/posts/feed/"))


def relate(how: str | None, viewer: User, author: User) -> None:
    if how == "block":
        user_services.block_create(blocker=viewer, blocked=author)
    elif how == "blocked by":
        user_services.block_create(blocker=author, blocked=viewer)
    elif how == "mute":
        user_services.mute_create(muter=viewer, muted=author)
    elif how == "protect":
        assert client_as(author).patch(UPDATE, {"is_protected": True}, format="json").status_code == 200
    elif how == "suspend":
        author.is_active = False
        author.save()


def build_world(relationship: str) -> dict:
    visibility, follows, anonymous, how = RELATIONSHIPS[relationship]
    viewer, author = UserFactory(), UserFactory()
    with TestCase.captureOnCommitCallbacks(execute=True):
        if follows:
            assert client_as(viewer).post(f"/api/users/{author.id}/follow/").status_code == 201
        parent = client_as(viewer).post("/api/posts/", {"content": "parent"}, format="json").json()["id"]
        body = {"content": f"findme #{TAG} @{viewer.username}", "reply_to": parent, "visibility": visibility}
        response = client_as(author).post("/api/posts/", body, format="json")
        assert response.status_code == 201, response.content
        assert client_as(author).post(f"/api/posts/{parent}/like/").status_code == 200
    post = response.json()["id"]
    # Warm: V's feed read in both stores (timeline built, representations cached).
    for store in ("db", "redis") if redis_available() else ("db",):
        assert (post in read_feed(viewer, store)) is (follows and not anonymous)
    with TestCase.captureOnCommitCallbacks(execute=True):
        relate(how, viewer, author)
    _, key = api_key_create(user=viewer, name="front end")
    return {
        "relationship": relationship,
        "viewer": viewer,
        "author": author,
        "parent": parent,
        "post": post,
        "key": key,
        "anonymous": anonymous,
    }


@pytest.fixture(scope="module")
def world(request, django_db_setup, django_db_blocker):
    """One relationship's world, shared by its cells: built in a transaction rolled back after them."""
    with django_db_blocker.unblock():
        clear_cache()
        atomic = transaction.atomic()
        atomic._from_testcase = True  # the cells' own atomic blocks nest in it as a test case's do
        atomic.__enter__()
        try:
            yield build_world(request.param)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            clear_cache()


@pytest.fixture(autouse=True)
def _isolated_state(settings):
    """Replaces the suite's: the world's caches and timelines stay warm across its cells; the
    throttles, which would count every cell's requests, are out of the way."""
    settings.THROTTLE_RATE_ANON = settings.THROTTLE_RATE_USER = "100000/min"
    yield
    channel_layers.backends.clear()


# --- The paths (columns) -------------------------------------------------------------------------


def reader(w) -> APIClient:
    return client_as(None if w["anonymous"] else w["viewer"])


def microblog(w) -> APIClient:
    client = APIClient()
    if not w["anonymous"]:
        client.credentials(HTTP_API_KEY=w["key"])
    return client


def listing(response, post_id: int):
    """Y/N: whether the list has the post; the status code when it is refused."""
    if response.status_code != 200:
        return response.status_code
    return Y if post_id in listed_ids(response) else N


def trending(w):
    cache.delete("posts:trending")  # cached for a minute by design
    counts = {tag["name"]: tag["count"] for tag in reader(w).get("/api/posts/trending_hashtags/").json()}
    assert counts.get(TAG, 1) == 1
    return Y if TAG in counts else N


def feed(store: str) -> Callable:
    def read(w):
        if w["anonymous"]:
            return reader(w).get("/api/posts/feed/").status_code
        if store == "redis":
            skip_unless_available(redis_unavailable_reason(), "Redis for the timelines store")
        return Y if w["post"] in read_feed(w["viewer"], store) else N

    return read


def notified(kind: str) -> Callable:
    def read(w):
        response = reader(w).get("/api/notifications/")
        if response.status_code != 200:
            return response.status_code
        rows = response.json()["results"]
        if kind == "post":
            found = [n for n in rows if n["post"] == w["post"]]
        else:
            found = [n for n in rows if n["type"] == "like" and n["post"] == w["parent"]]
        assert all(n["actor"]["id"] == w["author"].id for n in found)
        return Y if found else N

    return read


NAMING_PATHS: dict[str, Callable] = {
    "detail": lambda w: reader(w).get(f"/api/posts/{w['post']}/"),
    "like": lambda w: reader(w).post(f"/api/posts/{w['post']}/like/"),
    "its replies": lambda w: reader(w).get(f"/api/posts/{w['post']}/replies/"),
    "tw like": lambda w: microblog(w).post(f"/api/tweets/{w['post']}/likes"),
    "tw delete": lambda w: microblog(w).delete(f"/api/tweets/{w['post']}"),
    "profile": lambda w: reader(w).get(f"/api/users/{w['author'].id}/"),
    "followers": lambda w: reader(w).get(f"/api/users/{w['author'].id}/followers/"),
    "following": lambda w: reader(w).get(f"/api/users/{w['author'].id}/following/"),
}

LIST_PATHS: dict[str, Callable] = {
    "posts": lambda w: listing(reader(w).get("/api/posts/"), w["post"]),
    "?author=": lambda w: listing(reader(w).get("/api/posts/", {"author": w["author"].id}), w["post"]),
    "?hashtag=": lambda w: listing(reader(w).get("/api/posts/", {"hashtag": TAG}), w["post"]),
    "?search=": lambda w: listing(reader(w).get("/api/posts/", {"search": "findme"}), w["post"]),
    "tag page": lambda w: listing(reader(w).get(f"/api/hashtags/{TAG}/posts/"), w["post"]),
    "replies": lambda w: listing(reader(w).get(f"/api/posts/{w['parent']}/replies/"), w["post"]),
    "search": lambda w: listing(reader(w).get("/api/search/", {"q": "findme", "type": "posts"}), w["post"]),
    "trending": trending,
    "feed db": feed("db"),
    "feed redis": feed("redis"),
    "tweets": lambda w: listing(microblog(w).get("/api/tweets"), w["post"]),
    "n:post": notified("post"),
    "n:like": notified("like"),
}

assert tuple(NAMING_PATHS) == NAMING and tuple(LIST_PATHS) == LISTS
assert set(NAMED) == set(LISTED) == set(RELATIONSHIPS)


# The expected outcome of each cell, by relationship and path.
EXPECTED = {
    relationship: dict(zip(NAMING, NAMED[relationship], strict=True))
    | dict(zip(LISTS, LISTED[relationship], strict=True))
    for relationship in RELATIONSHIPS
}


def outcome(w, path: str):
    if path in NAMING_PATHS:
        response = NAMING_PATHS[path](w)
        assert response.status_code < 500, response.content
        return response.status_code
    return LIST_PATHS[path](w)


@pytest.mark.django_db
@pytest.mark.parametrize("path", NAMING + LISTS)
@pytest.mark.parametrize("world", list(RELATIONSHIPS), indirect=True, scope="module")
def test_cell(world, path):
    assert outcome(world, path) == EXPECTED[world["relationship"]][path]
