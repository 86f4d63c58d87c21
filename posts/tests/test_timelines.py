"""The Redis home timelines behind the feed: the items' exact fields, fan-out in batches, the cap and
the database below it, celebrities merged at read time, cold and lost timelines, Redis outages."""

from unittest import mock

import pytest
import redis
from rest_framework.test import APIRequestFactory

from media.models import Media
from posts.feed import timelines
from posts.selectors import post_list
from posts.serializers import FeedItemSerializer
from posts.tests.factories import PostFactory
from users.models import Profile, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

FEED = "/api/posts/feed/"


def ids(client, **params) -> list[tuple[int, int | None]]:
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return [(i["id"], i["retweeted_by"]["id"] if i["retweeted_by"] else None) for i in response.json()["results"]]


def all_pages(client, page_size: int) -> list[int]:
    seen, response = [], client.get(FEED, {"page_size": page_size}).json()
    seen += [i["id"] for i in response["results"]]
    while response["next"]:
        response = client.get(response["next"]).json()
        seen += [i["id"] for i in response["results"]]
    return seen


def in_timeline(user_id: int) -> list[int]:
    z, _, _ = timelines.home_keys(user_id)
    return [int(member) for member in timelines.client().zrevrange(z, 0, -1)]


@pytest.mark.usefixtures("feed_backend")
def test_feed_items_have_exactly_the_serializer_fields(client_for):
    me, friend, other = UserFactory(username="zed"), UserFactory(), UserFactory(username="Amy")
    Profile.objects.filter(pk=friend.pk).update(display_name="Friend", avatar="avatars/f.png")
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    parent = PostFactory(author=other, content="the parent")
    post = (
        client_for(friend)
        .post("/api/posts/", {"content": "hi @zed @Amy #Zeta #alpha", "reply_to": parent.id}, format="json")
        .json()
    )
    Media.objects.create(
        owner=friend, post_id=post["id"], position=1, file="m/b.png", thumbnail="m/b_t.png",
        content_type="image/png", width=3, height=4, size=10,
    )  # fmt: skip
    Media.objects.create(
        owner=friend, post_id=post["id"], position=0, file="m/a.png", content_type="image/png", width=1, height=2,
        size=10,
    )  # fmt: skip
    client.post(f"/api/posts/{post['id']}/like/")
    client_for(friend).post(f"/api/posts/{parent.id}/retweet/")
    for _ in range(2):  # cold, then from the caches
        items = client.get(FEED).json()["results"]
        request = APIRequestFactory().get(FEED)
        request.user = me
        expected = []
        friend_now = User.objects.select_related("profile").get(pk=friend.pk)
        for post_id, retweeted_by in ((parent.id, friend_now), (post["id"], None)):
            one = post_list(viewer=me).get(pk=post_id)
            one.retweeted_by = retweeted_by
            one.feed_id = next(i["feed_id"] for i in items if i["id"] == post_id)
            expected.append(FeedItemSerializer(one, context={"request": request}).data)
        assert items == expected
    assert items[1]["media"][0]["url"] == "http://testserver/media/m/a.png"
    assert items[1]["author"]["avatar"] == "http://testserver/media/avatars/f.png"
    assert items[1]["is_liked"] is True and items[1]["likes_count"] == 1


@pytest.mark.usefixtures("redis_feed")
def test_a_post_is_fanned_out_in_batches_to_the_timelines_that_exist(client_for, settings):
    settings.TIMELINE_FANOUT_BATCH = 2
    author = UserFactory()
    followers = UserFactory.create_batch(5)
    for follower in followers:
        client_for(follower).post(f"/api/users/{author.id}/follow/")
    for follower in followers[:4]:
        assert ids(client_for(follower)) == []  # the first read builds the timeline
    assert ids(client_for(author)) == []
    with mock.patch("posts.tasks.timeline_push_task.apply_async", wraps=timelines_push_apply_async()) as push:
        post = client_for(author).post("/api/posts/", {"content": "hello"}, format="json").json()
    assert push.call_count == 3  # 5 followers in batches of 2
    for follower in followers[:4]:
        assert in_timeline(follower.id) == [post["id"]]
    # The fifth never read their feed: no timeline, no fan-out; built on the first read.
    assert not timelines.client().exists(timelines.home_keys(followers[4].id)[1])
    assert ids(client_for(followers[4])) == [(post["id"], None)]
    assert in_timeline(followers[4].id) == [post["id"]]
    assert in_timeline(author.id) == [post["id"]]  # the author's own, at once
    client_for(author).delete(f"/api/posts/{post['id']}/")
    assert all(in_timeline(user.id) == [] for user in [author, *followers])


def timelines_push_apply_async():
    from posts.tasks import timeline_push_task

    return timeline_push_task.apply_async


@pytest.mark.usefixtures("redis_feed")
def test_the_cap_keeps_the_newest_entries_and_older_pages_come_from_the_database(client_for, settings):
    settings.TIMELINE_MAX_ENTRIES = 5
    me, friend = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    assert ids(client) == []
    posted = [
        client_for(friend).post("/api/posts/", {"content": f"p{i}"}, format="json").json()["id"] for i in range(9)
    ]
    assert len(in_timeline(me.id)) == 5
    assert all_pages(client, 2) == posted[::-1]
    assert all_pages(client, 4) == posted[::-1]


@pytest.mark.usefixtures("redis_feed")
def test_a_rebuild_reads_a_few_pages_and_fan_out_grows_the_timeline_up_to_the_cap(client_for, settings):
    settings.TIMELINE_REBUILD_ENTRIES, settings.TIMELINE_MAX_ENTRIES = 3, 6
    me, friend = UserFactory(), UserFactory()
    client_for(me).post(f"/api/users/{friend.id}/follow/")
    posted = [PostFactory(author=friend).id for _ in range(5)]
    client = client_for(me)
    assert ids(client) == [(post, None) for post in posted[::-1]]  # the first read builds the timeline
    assert in_timeline(me.id) == posted[:-3:-1]  # above the horizon, the third entry read
    assert all_pages(client, 2) == posted[::-1]  # the older ones from the database, below the horizon
    posted += [
        client_for(friend).post("/api/posts/", {"content": f"p{i}"}, format="json").json()["id"] for i in range(4)
    ]
    assert in_timeline(me.id) == posted[:-7:-1]  # fan-out filled it up to the cap
    assert all_pages(client, 4) == posted[::-1]


@pytest.mark.usefixtures("redis_feed")
def test_retweet_and_unretweet_fan_out_and_the_next_newest_entry_comes_back(client_for):
    me, a, b, author = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    for friend in (a, b, author):
        client.post(f"/api/users/{friend.id}/follow/")
    post = PostFactory(author=author)
    assert ids(client) == [(post.id, None)]
    client_for(a).post(f"/api/posts/{post.id}/retweet/")
    client_for(b).post(f"/api/posts/{post.id}/retweet/")
    assert ids(client) == [(post.id, b.id)]
    client_for(b).post(f"/api/posts/{post.id}/unretweet/")
    assert ids(client) == [(post.id, a.id)]
    client_for(a).post(f"/api/posts/{post.id}/unretweet/")
    assert ids(client) == [(post.id, None)]
    client.post(f"/api/users/{author.id}/unfollow/")
    assert ids(client) == []
    client.post(f"/api/users/{author.id}/follow/")
    assert ids(client) == [(post.id, None)]


@pytest.mark.usefixtures("redis_feed")
def test_celebrities_are_not_fanned_out_but_merged_at_read_time(client_for, settings):
    settings.TIMELINE_CELEBRITY_FOLLOWERS = 2
    me, friend = UserFactory(), UserFactory()
    star = UserFactory()
    for fan in UserFactory.create_batch(2):
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    client = client_for(me)
    client.post(f"/api/users/{star.id}/follow/")  # 3 followers: a celebrity
    client.post(f"/api/users/{friend.id}/follow/")
    old = PostFactory(author=star)
    assert ids(client) == [(old.id, None)]
    new = client_for(star).post("/api/posts/", {"content": "to the many"}, format="json").json()
    mine = client_for(friend).post("/api/posts/", {"content": "to the few"}, format="json").json()
    assert in_timeline(me.id) == [mine["id"]]  # the star's posts stay out of the timeline...
    assert ids(client) == [(mine["id"], None), (new["id"], None), (old.id, None)]  # ...and are merged in
    client_for(friend).post(f"/api/posts/{old.id}/retweet/")
    assert ids(client) == [(old.id, friend.id), (mine["id"], None), (new["id"], None)]
    assert all_pages(client, 1) == [old.id, mine["id"], new["id"]]
    client.post(f"/api/users/{star.id}/unfollow/")
    assert ids(client) == [(old.id, friend.id), (mine["id"], None)]


@pytest.mark.usefixtures("redis_feed")
def test_crossing_the_celebrity_threshold_either_way_loses_no_post_and_shows_none_twice(client_for, settings):
    settings.TIMELINE_CELEBRITY_FOLLOWERS = 2
    me, other_fan, star = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{star.id}/follow/")
    client_for(other_fan).post(f"/api/users/{star.id}/follow/")  # 2 followers: fanned out
    first = client_for(star).post("/api/posts/", {"content": "one"}, format="json").json()["id"]
    assert ids(client) == [(first, None)]
    # A third follower, whose timeline build comes first: the star is a celebrity from now on.
    late = UserFactory()
    client_for(late).post(f"/api/users/{star.id}/follow/")
    assert ids(client_for(late)) == [(first, None)]
    second = client_for(star).post("/api/posts/", {"content": "two"}, format="json").json()["id"]
    assert ids(client) == [(second, None), (first, None)]
    # Back under the threshold: fanned out again, each post once.
    client_for(late).post(f"/api/users/{star.id}/unfollow/")
    third = client_for(star).post("/api/posts/", {"content": "three"}, format="json").json()["id"]
    assert ids(client) == [(third, None), (second, None), (first, None)]
    fourth = client_for(star).post("/api/posts/", {"content": "four"}, format="json").json()["id"]
    assert ids(client) == [(fourth, None), (third, None), (second, None), (first, None)]


@pytest.mark.usefixtures("redis_feed")
def test_a_lost_redis_loses_nothing(client_for):
    me, friend = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    posts = [PostFactory(author=friend).id for _ in range(3)]
    assert [i for i, _ in ids(client)] == posts[::-1]
    timelines.client().flushdb()
    assert [i for i, _ in ids(client)] == posts[::-1]  # from the database, rebuilding
    assert in_timeline(me.id) == posts[::-1]


@pytest.mark.usefixtures("redis_feed")
def test_redis_down_serves_the_feed_from_the_database_and_writes_still_work(client_for, settings):
    me, friend = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    post = PostFactory(author=friend)
    assert ids(client) == [(post.id, None)]
    # A failure in the middle of a request...
    with mock.patch.object(timelines, "read_page", side_effect=redis.ConnectionError("gone")):
        assert ids(client) == [(post.id, None)]
    # ...and Redis unreachable altogether (a closed port): reads and writes still answer.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert ids(client) == [(post.id, None)]
    response = client_for(friend).post("/api/posts/", {"content": "while redis is down"}, format="json")
    assert response.status_code == 201
    assert ids(client)[0] == (response.json()["id"], None)
    assert client_for(friend).post(f"/api/posts/{post.id}/like/").status_code == 200


@pytest.mark.usefixtures("redis_feed")
def test_a_fan_out_batch_that_runs_after_its_follower_unfollowed_leaves_their_timeline_alone(client_for):
    from posts.tasks import timeline_push_task

    me, author, friend = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    for account in (author, friend):
        client.post(f"/api/users/{account.id}/follow/")
    assert ids(client) == []
    # The batches wait in a busy queue (or are sent again by the outbox) ...
    with mock.patch("posts.tasks.timeline_push_task.apply_async") as queued:
        client_for(author).post("/api/posts/", {"content": "hello"}, format="json").json()
        other = client_for(friend).post("/api/posts/", {"content": "hi"}, format="json").json()
    # ... while I unfollow the author; then they run.
    client.post(f"/api/users/{author.id}/unfollow/")
    for call in queued.call_args_list:
        timeline_push_task.apply(kwargs=call.kwargs["kwargs"])
    assert in_timeline(me.id) == [other["id"]]
    assert ids(client) == [(other["id"], None)]


@pytest.mark.usefixtures("redis_feed")
def test_an_unfollow_while_a_timeline_is_rebuilt_is_not_undone_by_the_rebuild(client_for):
    me, author = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{author.id}/follow/")
    post = PostFactory(author=author)
    compute = timelines.compute_page
    unfollowed = []

    def unfollow_after_the_read(*args, **kwargs):
        page = compute(*args, **kwargs)  # the rebuild has read the database: still following
        if not unfollowed:
            unfollowed.append(client.post(f"/api/users/{author.id}/unfollow/").status_code)
        return page

    with mock.patch("posts.feed.timelines.compute_page", side_effect=unfollow_after_the_read):
        timelines.rebuild_home(me.id)
    assert unfollowed == [200]
    assert post.id not in in_timeline(me.id)
    assert ids(client) == []


@pytest.mark.usefixtures("redis_feed")
def test_fan_out_batches_and_replayed_entries_that_run_after_a_delete_or_unretweet_write_nothing(client_for):
    from posts.tasks import timeline_entry_add_task, timeline_push_task

    me, author, fan = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    for account in (author, fan):
        client.post(f"/api/users/{account.id}/follow/")
    assert ids(client) == []
    # The batches and the author's own change wait (a busy queue, or sent again by the outbox) ...
    with (
        mock.patch("posts.tasks.timeline_push_task.apply_async") as queued,
        mock.patch("outbox.services._run_here", return_value=False),
        mock.patch("posts.tasks.timeline_entry_add_task.apply_async") as owned,
    ):
        post = client_for(author).post("/api/posts/", {"content": "soon gone"}, format="json").json()
        kept = PostFactory(author=author)
        assert client_for(fan).post(f"/api/posts/{kept.id}/retweet/").status_code == 200
    # ... while the post is deleted and the retweet undone; then they run.
    assert client_for(author).delete(f"/api/posts/{post['id']}/").status_code == 204
    assert client_for(fan).post(f"/api/posts/{kept.id}/unretweet/").status_code == 200
    for call in owned.call_args_list:
        timeline_entry_add_task.apply(kwargs=call.kwargs["kwargs"])
    for call in queued.call_args_list:
        timeline_push_task.apply(kwargs=call.kwargs["kwargs"])
    assert post["id"] not in in_timeline(me.id) and post["id"] not in in_timeline(author.id)
    # The retweet is gone from my feed; the author's post itself stays, as its own entry.
    assert ids(client) == [(kept.id, None)]


@pytest.mark.usefixtures("redis_feed")
def test_changes_recorded_by_an_earlier_release_as_one_task_with_an_operation_still_apply(client_for):
    """Outbox rows and queued messages of ``posts.timeline_apply`` run as the named task of their
    operation."""
    from posts.feed.entries import FeedEntry
    from posts.tasks import LEGACY_OPERATIONS, timeline_apply_task
    from users.models import Follow

    assert set(LEGACY_OPERATIONS) == {"entry_created", "entry_removed", "followed", "unfollowed"}
    me, author, other = UserFactory(), UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{author.id}/follow/")
    assert ids(client) == [] and ids(client_for(author)) == []  # both timelines built
    post = PostFactory(author=author)  # written without its timeline change
    entry = FeedEntry.for_post(post_id=post.id, created_at=post.created_at, author_id=author.id)
    timeline_apply_task.apply(kwargs={"op": "entry_created", "entry": entry.as_list(), "source_id": author.id})
    assert in_timeline(me.id) == [post.id] and in_timeline(author.id) == [post.id]
    timeline_apply_task.apply(
        kwargs={"op": "entry_removed", "post_id": post.id, "feed_id": None, "source_ids": [author.id]}
    )
    assert in_timeline(me.id) == [] and in_timeline(author.id) == []
    theirs = PostFactory(author=other)
    Follow.objects.bulk_create([Follow(follower=me, followee=other)])  # a follow without its change
    timeline_apply_task.apply(kwargs={"op": "followed", "follower_id": me.id, "followee_id": other.id})
    assert in_timeline(me.id) == [theirs.id]
