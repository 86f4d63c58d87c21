"""Search, trending tags and a tag's page through the Mastodon API."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from posts.models import Post
from posts.tests.factories import PostFactory
from tests.support import clear_cache
from users import services
from users.tests.factories import UserFactory

from .entities import assert_account, assert_status, links, query_count

pytestmark = pytest.mark.django_db

# Mastodon.py told the server's version, so that it does not read /api/v1/instance first.
CLIENT_OPTIONS = {"version_check_mode": "created", "mastodon_version": "4.3.0"}

SEARCH = "/api/v2/search"
TAG_KEYS = {"id", "name", "url", "history"}


def assert_tag(tag: dict, *, user: bool = True) -> None:
    assert set(tag) == TAG_KEYS | ({"following"} if user else set())
    assert len(tag["history"]) == 7
    for day in tag["history"]:
        assert set(day) == {"day", "uses", "accounts"}
        assert all(isinstance(value, str) and value.isdigit() for value in day.values())
    if user:
        assert tag["following"] is False


def names(body: dict, kind: str) -> list[str]:
    key = {"accounts": "username", "hashtags": "name"}.get(kind, "id")
    return [row[key] for row in body[kind]]


def test_search_finds_accounts_statuses_and_hashtags(mastodon_client, user):
    kitty = UserFactory(username="kitty")
    post = PostFactory(author=kitty, content="kitty pictures #kittens")
    PostFactory(content="dogs only")
    response = mastodon_client(user, "read:search").get(SEARCH, {"q": "kitt"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"accounts", "statuses", "hashtags"}
    assert names(body, "accounts") == ["kitty"]
    assert_account(body["accounts"][0])
    assert names(body, "hashtags") == ["kittens"]
    assert_tag(body["hashtags"][0])
    assert body["hashtags"][0]["history"][0]["uses"] == "1"
    statuses = mastodon_client(user).get(SEARCH, {"q": "kitty"}).json()["statuses"]
    assert [s["id"] for s in statuses] == [str(post.pk)]
    assert_status(statuses[0])


def test_statuses_need_a_users_token_as_in_mastodon(mastodon_client):
    PostFactory(content="findme #findme", author=UserFactory(username="findme"))
    for client in (mastodon_client(), mastodon_client(None, "read", app_token=True)):
        body = client.get(SEARCH, {"q": "findme"}).json()
        assert body["statuses"] == [] and names(body, "accounts") == ["findme"]
        assert_tag(body["hashtags"][0], user=False)  # no user: no ``following``


def test_anonymous_offset_or_resolve_is_refused_and_q_is_required(mastodon_client, user):
    anonymous = mastodon_client()
    response = anonymous.get(SEARCH, {"q": "x", "offset": 1, "type": "accounts"})
    assert response.status_code == 401
    assert response.json() == {"error": "Search queries pagination is not supported without authentication"}
    response = anonymous.get(SEARCH, {"q": "x", "resolve": "true"})
    assert response.status_code == 401 and "resolve" in response.json()["error"]
    for client in (anonymous, mastodon_client(user)):
        response = client.get(SEARCH, {"q": "  "})
        assert response.status_code == 400
        assert response.json() == {"error": "param is missing or the value is empty: q"}
    assert mastodon_client(user, "write").get(SEARCH, {"q": "x"}).status_code == 403
    invalid = mastodon_client()
    invalid.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert invalid.get(SEARCH, {"q": "x"}).status_code == 401
    assert mastodon_client(user).get(SEARCH, {"q": "x", "max_id": "nope"}).status_code == 422


def test_type_limit_and_offset(mastodon_client, user):
    for i in range(3):
        UserFactory(username=f"cat{i}")
        PostFactory(content=f"cat number {i} #cat{i}")
    client = mastodon_client(user)
    body = client.get(SEARCH, {"q": "cat", "type": "accounts", "limit": 2, "offset": 1}).json()
    assert names(body, "accounts") == ["cat1", "cat2"] and body["statuses"] == [] and body["hashtags"] == []
    body = client.get(SEARCH, {"q": "cat", "type": "hashtags", "limit": 1}).json()
    assert len(body["hashtags"]) == 1 and body["accounts"] == []
    body = client.get(SEARCH, {"q": "cat", "type": "statuses"}).json()
    assert len(body["statuses"]) == 3
    body = client.get(SEARCH, {"q": "cat", "type": "polls"}).json()
    assert body == {"accounts": [], "statuses": [], "hashtags": []}
    # offset applies only with a type, as in Mastodon
    assert len(client.get(SEARCH, {"q": "cat", "offset": 2}).json()["accounts"]) == 3


def test_blocks_mutes_and_visibility_apply(mastodon_client, user):
    blocked, blocker, muted, locked = (
        UserFactory(username=f"zz{n}") for n in ("blocked", "blocker", "muted", "locked")
    )
    shown = PostFactory(content="zz shown", author=UserFactory(username="zzshown"))
    for author in (blocked, blocker, muted, locked):
        PostFactory(author=author, content=f"zz by {author.username}")
    services.block_create(blocker=user, blocked=blocked)
    services.block_create(blocker=blocker, blocked=user)
    services.mute_create(muter=user, muted=muted, notifications=False)
    locked.profile.is_protected = True
    locked.profile.save()
    unlisted = PostFactory(content="zz unlisted")
    Post.objects.filter(pk=unlisted.pk).update(visibility=Post.Visibility.UNLISTED)
    body = mastodon_client(user).get(SEARCH, {"q": "zz"}).json()
    assert set(names(body, "accounts")) == {"zzshown", "zzlocked"}
    assert names(body, "statuses") == [str(shown.pk)]
    services.follow_create(follower=user, followee=locked)  # a request: still not a follower
    assert names(mastodon_client(user).get(SEARCH, {"q": "zz"}).json(), "statuses") == [str(shown.pk)]


def test_following_and_account_id(mastodon_client, user):
    friend, stranger = UserFactory(username="pal_one"), UserFactory(username="pal_two")
    services.follow_create(follower=user, followee=friend)
    theirs = PostFactory(author=friend, content="pal says hi")
    PostFactory(author=stranger, content="pal says hi too")
    client = mastodon_client(user)
    assert names(client.get(SEARCH, {"q": "pal", "following": "true"}).json(), "accounts") == ["pal_one"]
    body = client.get(SEARCH, {"q": "hi", "account_id": str(friend.pk)}).json()
    assert names(body, "statuses") == [str(theirs.pk)]
    assert client.get(SEARCH, {"q": "hi", "account_id": "x"}).json()["statuses"] == []


def test_acct_forms_find_local_accounts_only(mastodon_client, user):
    UserFactory(username="alice")
    UserFactory(username="alicea")
    client = mastodon_client(user)
    assert names(client.get(SEARCH, {"q": "@alice"}).json(), "accounts") == ["alice", "alicea"]
    assert names(client.get(SEARCH, {"q": "alice@testserver"}).json(), "accounts") == ["alice", "alicea"]
    assert client.get(SEARCH, {"q": "alice@elsewhere.example"}).json()["accounts"] == []


def test_resolve_finds_this_sites_urls(mastodon_client, user):
    author = UserFactory(username="writer")
    post = PostFactory(author=author, content="hello")
    hidden = PostFactory(author=author, content="followers only")
    Post.objects.filter(pk=hidden.pk).update(visibility=Post.Visibility.FOLLOWERS)
    client = mastodon_client(user)

    def resolve(q, **extra):
        response = client.get(SEARCH, {"q": q, "resolve": "true", **extra})
        assert response.status_code == 200
        return response.json()

    for url in (f"http://testserver/@writer/{post.pk}", f"http://testserver/users/writer/statuses/{post.pk}"):
        body = resolve(url)
        assert names(body, "statuses") == [str(post.pk)] and body["accounts"] == [] and body["hashtags"] == []
    for url in ("http://testserver/@Writer", "http://testserver/users/writer/"):
        assert names(resolve(url), "accounts") == ["writer"]
    assert resolve(f"http://testserver/@writer/{post.pk}", type="accounts")["statuses"] == []
    empty = {"accounts": [], "statuses": [], "hashtags": []}
    assert resolve(f"http://testserver/@writer/{hidden.pk}") == empty
    assert resolve(f"http://testserver/@someone/{post.pk}") == empty
    assert resolve("https://elsewhere.example/@writer") == empty


def test_search_query_count_does_not_grow_with_the_results(mastodon_client, user):
    client = mastodon_client(user)

    made = iter(range(100))

    def add(count: int) -> None:
        for _ in range(count):
            n = next(made)
            PostFactory(author=UserFactory(username=f"same{n}"), content=f"same #same{n}")

    add(1)
    clear_cache()  # cold caches both times (accounts are cached)
    one = query_count(lambda: client.get(SEARCH, {"q": "same"}))
    add(19)
    body = client.get(SEARCH, {"q": "same"}).json()
    assert [len(body[kind]) for kind in ("accounts", "statuses", "hashtags")] == [20, 20, 20]
    clear_cache()
    assert query_count(lambda: client.get(SEARCH, {"q": "same"})) == one


# --- Trends and tags -----------------------------------------------------------------------------


def test_trending_tags_are_the_native_trending_with_history(mastodon_client, user):
    for _ in range(3):
        PostFactory(content="#hot")
    PostFactory(content="#warm #hot")
    PostFactory(content="#warm", created_at=timezone.now() - timedelta(days=2))
    for path in ("/api/v1/trends/tags", "/api/v1/trends"):
        clear_cache()
        response = mastodon_client().get(path)
        assert response.status_code == 200
        body = response.json()
        assert [tag["name"] for tag in body] == ["hot", "warm"]
        for tag in body:
            assert_tag(tag, user=False)
        today = datetime.combine(timezone.now().astimezone(UTC).date(), time(), tzinfo=UTC)
        assert body[0]["history"][0] == {"day": str(int(today.timestamp())), "uses": "4", "accounts": "4"}
        assert [day["uses"] for day in body[1]["history"][:3]] == ["1", "0", "1"]
    assert_tag(mastodon_client(user).get("/api/v1/trends/tags").json()[0])


def test_trending_tags_limit_offset_and_links(mastodon_client):
    for i in range(4):
        PostFactory(content=f"#tag{i}")
    client = mastodon_client()
    first = client.get("/api/v1/trends/tags", {"limit": 3})
    assert [t["name"] for t in first.json()] == ["tag0", "tag1", "tag2"]
    assert "offset=3" in links(first)["next"] and "prev" not in links(first)
    second = client.get(links(first)["next"])
    assert [t["name"] for t in second.json()] == ["tag3"]
    assert "next" not in links(second) and "offset=0" in links(second)["prev"]


def test_trends_query_count_does_not_grow(mastodon_client):
    client = mastodon_client()
    PostFactory(content="#t0")
    clear_cache()
    one = query_count(lambda: client.get("/api/v1/trends/tags"))
    for i in range(1, 20):
        PostFactory(content=f"#t{i}")
    clear_cache()
    assert len(client.get("/api/v1/trends/tags", {"limit": 20}).json()) == 10  # the native top 10
    clear_cache()
    assert query_count(lambda: client.get("/api/v1/trends/tags", {"limit": 20})) == one


def test_a_tag_and_one_never_used(mastodon_client, user):
    PostFactory(content="#Cats rule")
    response = mastodon_client(user).get("/api/v1/tags/CATS")
    assert response.status_code == 200
    tag = response.json()
    assert_tag(tag)
    assert tag["name"] == "cats" and tag["id"].isdigit() and tag["url"] == "http://testserver/tags/cats"
    assert tag["history"][0]["uses"] == "1"
    anonymous = mastodon_client().get("/api/v1/tags/cats").json()
    assert_tag(anonymous, user=False)
    assert mastodon_client().get("/api/v1/tags/cats/").json() == anonymous  # a trailing slash is the same path
    unknown = mastodon_client().get("/api/v1/tags/Nothing_yet").json()
    assert unknown["id"] == "" and unknown["name"] == "Nothing_yet"
    assert {day["uses"] for day in unknown["history"]} == {"0"}
    response = mastodon_client().get("/api/v1/tags/no-tag")
    assert response.status_code == 404 and response.json() == {"error": "Record not found"}
    assert mastodon_client(user).post("/api/v1/tags/cats/follow").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_mastodon_py_searches_and_reads_trends_and_tags(live_server, mastodon_token):
    from mastodon import Mastodon

    me, writer = UserFactory(), UserFactory(username="writer")
    post = PostFactory(author=writer, content="writing about #pottery")
    client = Mastodon(access_token=mastodon_token(me), api_base_url=live_server.url, **CLIENT_OPTIONS)
    found = client.search_v2("pottery")
    assert [int(s.id) for s in found.statuses] == [post.pk]
    assert [tag.name for tag in found.hashtags] == ["pottery"]
    assert [int(a.id) for a in client.search_v2("writer", result_type="accounts").accounts] == [writer.pk]
    resolved = client.search_v2(f"{live_server.url}/@writer/{post.pk}")
    assert [int(s.id) for s in resolved.statuses] == [post.pk]
    trends = client.trending_tags()
    assert [tag.name for tag in trends] == ["pottery"] and trends[0].history[0].uses == "1"
    tag = client.tag("Pottery")
    assert tag.name == "pottery" and tag.following is False
