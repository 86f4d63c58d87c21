"""The home feed: who is in it, order, retweets, dedupe, stable cursor pages, cache correctness,
each against both implementations (the database selector and the Redis timelines)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from posts import feed, hydration
from posts.models import Post, Retweet
from posts.tasks import timeline_retweet_created
from posts.tests.factories import PostFactory
from tests.support import clear_cache
from users.tests.factories import UserFactory

# Feed caches are invalidated after commit, so these tests commit for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feed_backend")]

FEED = "/api/posts/feed/"


def feed_ids(client, **params):
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return [
        (item["id"], item["retweeted_by"]["id"] if item["retweeted_by"] else None)
        for item in response.json()["results"]
    ]


def at(minutes_ago: int):
    return timezone.now() - timedelta(minutes=minutes_ago)


def retweet(user, post, minutes_ago: int | None = None, *, created_at=None) -> Retweet:
    """A retweet at a chosen time, with the after-commit effects of ``retweet_create``."""
    rt = Retweet.objects.create(user=user, post=post, created_at=created_at or at(minutes_ago))
    Post.objects.filter(pk=post.pk).update(retweets_count=post.retweets_count + 1)
    feed.invalidate_author(user.pk)
    hydration.forget_posts([post.pk])
    timeline_retweet_created(rt, author_id=post.author_id)
    return rt


def test_feed_requires_auth(api_client):
    assert api_client.get(FEED).status_code == 401


def test_feed_has_followed_and_own_posts_newest_first(client_for):
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    old = PostFactory(author=friend, created_at=at(30))
    mine = PostFactory(author=me, created_at=at(20))
    PostFactory(author=stranger, created_at=at(10))
    reply = PostFactory(author=friend, reply_to=old, created_at=at(5))
    response = client.get(FEED)
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [i["id"] for i in body["results"]] == [reply.id, mine.id, old.id]
    item = body["results"][0]
    assert item["retweeted_by"] is None
    assert isinstance(item["feed_id"], int)
    assert item["reply_to"] == old.id


def test_follow_then_unfollow_shows_at_once(client_for):
    me, friend = UserFactory(), UserFactory()
    post = PostFactory(author=friend)
    client = client_for(me)
    assert feed_ids(client) == []
    client.post(f"/api/users/{friend.id}/follow/")
    assert feed_ids(client) == [(post.id, None)]
    client.post(f"/api/users/{friend.id}/unfollow/")
    assert feed_ids(client) == []


def test_new_post_and_delete_show_at_once_despite_cache(client_for):
    me, friend = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    assert feed_ids(client) == []
    created = client_for(friend).post("/api/posts/", {"content": "fresh"}, format="json").json()
    assert feed_ids(client) == [(created["id"], None)]
    client_for(friend).delete(f"/api/posts/{created['id']}/")
    assert feed_ids(client) == []


def test_likes_show_at_once_despite_cache(client_for):
    me, friend, other = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    post = PostFactory(author=friend)
    assert client.get(FEED).json()["results"][0]["likes_count"] == 0
    client_for(other).post(f"/api/posts/{post.id}/like/")
    client.post(f"/api/posts/{post.id}/like/")
    item = client.get(FEED).json()["results"][0]
    assert item["likes_count"] == 2 and item["is_liked"] is True


def test_retweet_enters_feed_at_retweet_time_with_retweeted_by(client_for):
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    old = PostFactory(author=stranger, created_at=at(60))
    newer = PostFactory(author=friend, created_at=at(30))
    retweet(friend, old, minutes_ago=10)
    assert feed_ids(client) == [(old.id, friend.id), (newer.id, None)]
    body = client.get(FEED).json()["results"][0]
    assert body["retweeted_by"] == {"id": friend.id, "username": friend.username, "display_name": "", "avatar": None}


def test_retweet_through_the_api_shows_at_once_and_unretweet_removes_it(client_for):
    me, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    post = PostFactory(author=stranger)
    assert feed_ids(client) == []
    client_for(friend).post(f"/api/posts/{post.id}/retweet/")
    assert feed_ids(client) == [(post.id, friend.id)]
    client_for(friend).post(f"/api/posts/{post.id}/unretweet/")
    assert feed_ids(client) == []


def test_my_own_retweets_are_in_my_feed(client_for):
    me, stranger = UserFactory(), UserFactory()
    post = PostFactory(author=stranger)
    client = client_for(me)
    client.post(f"/api/posts/{post.id}/retweet/")
    assert feed_ids(client) == [(post.id, me.id)]


def test_post_retweeted_by_several_followees_appears_once_at_latest_retweet(client_for):
    me, a, b, c, stranger = (UserFactory() for _ in range(5))
    client = client_for(me)
    for friend in (a, b, c):
        client.post(f"/api/users/{friend.id}/follow/")
    viral = PostFactory(author=stranger, created_at=at(100))
    own = PostFactory(author=a, created_at=at(50))
    retweet(a, viral, 40)
    retweet(b, viral, 20)
    retweet(c, viral, 30)
    retweet(b, own, 10)
    assert feed_ids(client) == [(own.id, b.id), (viral.id, b.id)]


def test_pages_are_stable_and_do_not_repeat_while_new_posts_arrive(client_for):
    me = UserFactory()
    friends = UserFactory.create_batch(3)
    client = client_for(me)
    for friend in friends:
        client.post(f"/api/users/{friend.id}/follow/")
    posts = [PostFactory(author=friends[i % 3], created_at=at(100 - i)) for i in range(7)]
    retweet(friends[0], posts[1], minutes_ago=50)  # posts[1] moves up to its retweet time
    expected = [p.id for p in reversed(posts) if p is not posts[1]]
    expected.insert(0, posts[1].id)  # the retweet at -50 is newer than every post (-100..-94)
    seen = []
    response = client.get(FEED, {"page_size": 3}).json()
    seen += [i["id"] for i in response["results"]]
    new = PostFactory(author=friends[1], created_at=at(0))  # new post between pages
    retweet(friends[2], posts[0], minutes_ago=1)  # an older post moves to the top between pages
    while response["next"]:
        response = client.get(response["next"]).json()
        seen += [i["id"] for i in response["results"]]
    assert len(seen) == len(set(seen)), seen
    assert seen == [pid for pid in expected if pid != posts[0].id]
    # On a fresh start, the new entries are on top.
    assert feed_ids(client, page_size=2) == [(new.id, None), (posts[0].id, friends[2].id)]


def test_many_retweets_of_one_post_do_not_starve_a_page(client_for):
    me = UserFactory()
    friends = UserFactory.create_batch(6)
    client = client_for(me)
    for friend in friends:
        client.post(f"/api/users/{friend.id}/follow/")
    viral = PostFactory(author=UserFactory(), created_at=at(200))
    for i, friend in enumerate(friends):
        retweet(friend, viral, minutes_ago=10 + i)
    older = [PostFactory(author=friends[0], created_at=at(100 + i)) for i in range(3)]
    assert feed_ids(client, page_size=2) == [(viral.id, friends[0].id), (older[0].id, None)]
    first = client.get(FEED, {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert [i["id"] for i in second["results"]] == [older[1].id, older[2].id]
    assert second["next"] is None


def test_entries_at_the_very_time_of_the_cursor_are_neither_skipped_nor_repeated(client_for):
    """Retweets made at the same microsecond: a cursor falls between them, and each page still
    starts right below it."""
    me, stranger = UserFactory(), UserFactory()
    friends = UserFactory.create_batch(3)
    client = client_for(me)
    for friend in friends:
        client.post(f"/api/users/{friend.id}/follow/")
    posts = [PostFactory(author=stranger, created_at=at(100 + i)) for i in range(3)]
    same = at(10)
    for friend, post in zip(friends, posts, strict=True):
        retweet(friend, post, created_at=same)
    expected = feed_ids(client)
    assert sorted(expected) == sorted((post.id, friend.id) for friend, post in zip(friends, posts, strict=True))
    pages = [page_of(client, page_size=1)]
    while pages[-1]["next"]:
        pages.append(page_of(client, pages[-1]["next"]))
    assert [entry for page in pages for entry in page["ids"]] == expected
    back = [page_of(client, pages[-1]["previous"])]
    while back[-1]["previous"]:
        back.append(page_of(client, back[-1]["previous"]))
    assert [entry for page in reversed(back) for entry in page["ids"]] == expected[:-1]


def page_of(client, url=None, **params) -> dict:
    response = client.get(url or FEED, params)
    assert response.status_code == 200, response.content
    body = response.json()
    body["ids"] = [(item["id"], (item["retweeted_by"] or {}).get("id")) for item in body["results"]]
    return body


def test_previous_walks_back_through_the_same_pages_in_the_same_order(client_for):
    me = UserFactory()
    friends = UserFactory.create_batch(3)
    client = client_for(me)
    for friend in friends:
        client.post(f"/api/users/{friend.id}/follow/")
    posts = [PostFactory(author=friends[i % 3], created_at=at(100 - i)) for i in range(9)]
    PostFactory(author=me, created_at=at(55))
    viral = PostFactory(author=UserFactory(), created_at=at(300))
    retweet(friends[0], viral, minutes_ago=60)
    retweet(friends[1], viral, minutes_ago=35)  # the viral post shows once, at this retweet
    retweet(friends[2], posts[2], minutes_ago=40)  # an old post moves up to its retweet
    retweet(friends[1], posts[7], minutes_ago=200)  # older than the post's own entry: not shown
    forward = [page_of(client, page_size=3)]
    assert forward[0]["previous"] is None
    for _ in range(2):
        forward.append(page_of(client, forward[-1]["next"]))
    assert all(len(page["ids"]) == 3 for page in forward)
    seen = [entry for page in forward for entry in page["ids"]]
    assert len({post_id for post_id, _ in seen}) == len(seen) == 9

    back = [forward[2]]
    for _ in range(2):
        assert back[-1]["previous"], back[-1]
        back.append(page_of(client, back[-1]["previous"]))
    assert [page["ids"] for page in back] == [page["ids"] for page in reversed(forward)]
    assert back[-1]["previous"] is None  # back at the top
    # Forward again from a page reached backwards gives the same next page.
    assert page_of(client, back[1]["next"])["ids"] == forward[2]["ids"]
    assert page_of(client, back[2]["next"])["ids"] == forward[1]["ids"]


def test_previous_of_the_first_page_behind_new_entries_shows_them(client_for):
    me = UserFactory()
    client = client_for(me)
    older = [PostFactory(author=me, created_at=at(50 - i)) for i in range(4)]
    first = page_of(client, page_size=2)
    second = page_of(client, first["next"])
    # Posted through the API, so they also reach the Redis timeline read by forward pages.
    newer = [client.post("/api/posts/", {"content": f"new {i}"}, format="json").json() for i in range(3)]
    newer = [Post.objects.get(pk=post["id"]) for post in newer]
    up = page_of(client, second["previous"])
    assert up["ids"] == [(older[3].id, None), (older[2].id, None)]
    up = page_of(client, up["previous"])
    # The page just above is made of the nearest newer entries; the newest is alone at the top.
    assert up["ids"] == [(newer[1].id, None), (newer[0].id, None)]
    top = page_of(client, up["previous"])
    assert (top["ids"], top["previous"]) == ([(newer[2].id, None)], None)
    assert page_of(client, top["next"])["ids"] == up["ids"]


def encoded(fields: list) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encoded(["2026-01-01T00:00:00+00:00", 4, 2]),
        encoded(["2026-01-01T00:00:00+00:00", 4, True]),
        encoded(["2026-01-01T00:00:00+00:00", 4, 1, 1]),
    ],
)
def test_invalid_feed_cursor_is_400(auth_client, cursor):
    response = auth_client.get(FEED, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor."]}


def forget_representations() -> None:
    """Empty the cached post, user and flag representations (and, without Redis, every cache);
    the Redis timelines stay."""
    if hasattr(cache, "delete_pattern"):
        for pattern in ("feed:post:*", "feed:user:*", "feed:flags:*"):
            cache.delete_pattern(pattern)
    else:
        cache.clear()


def test_feed_runs_a_fixed_number_of_queries(client_for, feed_backend, django_assert_max_num_queries):
    me = UserFactory()
    friends = UserFactory.create_batch(3)
    client = client_for(me)
    for friend in friends:
        client.post(f"/api/users/{friend.id}/follow/")
    retweet(friends[0], PostFactory(author=UserFactory()), minutes_ago=0)
    clear_cache()
    client.get(FEED)  # Redis: the first read builds the timeline (the database answers it)
    forget_representations()
    # Redis: entries from the timeline, posts, users and flags from at most 3 queries.
    cold = 3 if feed_backend == "redis" else 8
    with django_assert_max_num_queries(cold) as one:
        assert len(client.get(FEED).json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    for i in range(19):
        post = PostFactory(author=friends[i % 3])
        if i % 4 == 0:
            retweet(friends[(i + 1) % 3], PostFactory(author=UserFactory()), minutes_ago=0)
            Post.objects.filter(pk=post.pk).update(created_at=at(1))
    clear_cache()  # the factory's posts skipped fan-out: start from the database again
    client.get(FEED)
    forget_representations()
    with django_assert_max_num_queries(queries_for_one):
        assert len(client.get(FEED).json()["results"]) == 20
    # Warm: entries and representations all come from Redis or the cache.
    with django_assert_max_num_queries(0):
        assert len(client.get(FEED).json()["results"]) == 20


@pytest.mark.parametrize(("size", "expected"), [("0", 20), ("-3", 20), ("abc", 20), ("7", 7), ("1000", 100)])
def test_feed_page_size_reads_as_in_every_list(client_for, size, expected):
    me = UserFactory()
    PostFactory.create_batch(101, author=me)
    assert len(feed_ids(client_for(me), page_size=size)) == expected


def test_an_account_deactivated_in_the_admin_leaves_the_feed_at_once(
    client, client_for, django_capture_on_commit_callbacks
):
    me, friend, fan = UserFactory(), UserFactory(), UserFactory()
    reader = client_for(me)
    for followee in (friend, fan):
        reader.post(f"/api/users/{followee.id}/follow/")
    post = client_for(friend).post("/api/posts/", {"content": "soon gone"}, format="json").json()["id"]
    other = PostFactory(author=me)
    client_for(fan).post(f"/api/posts/{other.id}/retweet/")
    assert feed_ids(reader) == [(other.id, fan.id), (post, None)]  # cached now
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/users/user/", {"action": "deactivate_users", "_selected_action": [friend.pk, fan.pk]}, follow=True
        )
    assert "2 user(s) deactivated." in [str(m) for m in response.context["messages"]]
    # The deactivated author's post is gone; the deactivated fan's retweet no longer names them.
    assert feed_ids(reader) == [(other.id, None)]
