"""Blocks and mutes on every read path: a matrix of the viewer's relationship with a writer (none,
blocking, blocked by, muting, a mute that has ended) against what each path shows of the writer's
posts and retweets, in both feed stores; and the actions a block refuses."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from notifications.models import Notification
from posts import hydration
from posts.models import Mention, Post
from posts.tests.conftest import use_feed_backend
from posts.tests.reads import listed_ids
from users import services as user_services
from users.models import Follow, Mute
from users.services import api_key_create
from users.tests.factories import UserFactory

RELATIONS = ["none", "blocking", "blocked by", "muting", "mute ended"]
BLOCKS = {"blocking", "blocked by"}
HIDDEN_IN_FEED = BLOCKS | {"muting"}


def relate(how: str, me, writer) -> None:
    if how == "blocking":
        user_services.block_create(blocker=me, blocked=writer)
    elif how == "blocked by":
        user_services.block_create(blocker=writer, blocked=me)
    elif how == "muting":
        user_services.mute_create(muter=me, muted=writer)
    elif how == "mute ended":
        user_services.mute_create(muter=me, muted=writer, duration=60)
        Mute.objects.filter(muter=me).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def world(client_for, django_capture_on_commit_callbacks):
    """``me`` follows ``writer`` and ``friend``. ``writer``'s post ``written`` replies to
    ``friend``'s ``parent``; ``friend`` retweets ``written``, ``writer`` retweets ``friend``'s
    ``shown``; ``writer`` likes ``mine`` (a notification to me). Every post says "findme", #topic."""
    me, writer, friend = UserFactory(), UserFactory(), UserFactory()
    for followee in (writer, friend):
        assert client_for(me).post(f"/api/users/{followee.id}/follow/").status_code == 201

    def post(user, content, reply_to=None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(user).post("/api/posts/", {"content": content, "reply_to": reply_to}, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    mine = post(me, "mine findme #topic")
    parent = post(friend, "parent findme #topic")
    written = post(writer, "written findme #topic", reply_to=parent)
    shown = post(friend, "shown findme #topic")
    with django_capture_on_commit_callbacks(execute=True):
        assert client_for(friend).post(f"/api/posts/{written}/retweet/").status_code == 200
        assert client_for(writer).post(f"/api/posts/{shown}/retweet/").status_code == 200
        assert client_for(writer).post(f"/api/posts/{mine}/like/").status_code == 200
    _, key = api_key_create(user=me, name="front end")
    return {
        "me": me,
        "writer": writer,
        "friend": friend,
        "mine": mine,
        "parent": parent,
        "written": written,
        "shown": shown,
        "key": key,
    }


def fresh_trending(client) -> dict[str, int]:
    cache.delete("posts:trending")
    return {tag["name"]: tag["count"] for tag in client.get("/api/posts/trending_hashtags/").json()}


def microblog(client, key):
    client.force_authenticate(user=None)
    client.credentials(HTTP_API_KEY=key)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("how", RELATIONS)
def test_read_paths_by_relationship(world, client_for, how):
    me, writer = world["me"], world["writer"]
    relate(how, me, writer)
    c = client_for(me)
    written = world["written"]
    blocked = how in BLOCKS
    muted = how == "muting"

    assert (written in listed_ids(c.get("/api/posts/"))) is not blocked
    assert (written in listed_ids(c.get("/api/posts/", {"author": writer.id}))) is not blocked
    assert (written in listed_ids(c.get("/api/posts/", {"hashtag": "topic"}))) is not blocked
    assert (written in listed_ids(c.get("/api/hashtags/topic/posts/"))) is not blocked
    # Search results and replies leave muted accounts out too.
    assert (written in listed_ids(c.get("/api/posts/", {"search": "findme"}))) is not (blocked or muted)
    assert (written in listed_ids(c.get("/api/search/", {"q": "findme"}))) is not (blocked or muted)
    assert (written in listed_ids(c.get(f"/api/posts/{world['parent']}/replies/"))) is not (blocked or muted)
    # By id: 404 across a block, readable when muted.
    assert c.get(f"/api/posts/{written}/").status_code == (404 if blocked else 200)
    assert c.get(f"/api/posts/{written}/replies/").status_code == (404 if blocked else 200)
    # Trending counts are global: the same whoever asks.
    assert fresh_trending(c)["topic"] == 4
    # The microblog feed is a feed: muted accounts leave it.
    assert (written in listed_ids(microblog(client_for(me), world["key"]).get("/api/tweets"))) is not (blocked or muted)
    # Notifications: the writer's like of my post is not listed across a block or a mute.
    actors = [n["actor"]["id"] for n in c.get("/api/notifications/").json()["results"]]
    assert (writer.id in actors) is not (blocked or muted)
    unread = c.get("/api/notifications/unread_count/").json()["unread_count"]
    assert unread == (0 if (blocked or muted) else 1)
    # The writer's user representation stays readable, with the flags.
    body = c.get(f"/api/users/{writer.id}/").json()
    assert body["is_blocking"] is (how == "blocking")
    assert body["is_blocked_by"] is (how == "blocked by")
    assert body["is_muting"] is muted


@pytest.mark.django_db
@pytest.mark.parametrize("how", RELATIONS)
def test_actions_by_relationship(world, client_for, how):
    me, writer = world["me"], world["writer"]
    relate(how, me, writer)
    c = client_for(me)
    blocked = how in BLOCKS
    written = world["written"]
    # Actions on the writer's post: 404 across a block (and reply_to → 400 as for a missing post).
    assert c.post(f"/api/posts/{written}/like/").status_code == (404 if blocked else 200)
    assert c.post(f"/api/posts/{written}/retweet/").status_code == (404 if blocked else 200)
    reply = c.post("/api/posts/", {"content": "answer", "reply_to": written}, format="json")
    assert reply.status_code == (400 if blocked else 201)
    # And the other way: the writer can't act on mine.
    w = client_for(writer)
    assert w.post(f"/api/posts/{world['mine']}/unlike/").status_code == (404 if blocked else 200)
    # Follow: 403 either way across a block.
    Follow.objects.filter(follower=me, followee=writer).delete()
    assert c.post(f"/api/users/{writer.id}/follow/").status_code == (403 if blocked else 201)
    assert w.post(f"/api/users/{me.id}/follow/").status_code == (403 if blocked else 201)
    # Messages: 403 to start a conversation or write one-to-one.
    started = c.post("/api/messages/", {"participant_ids": [writer.id]}, format="json")
    assert started.status_code == (403 if blocked else 201)
    assert w.post("/api/messages/", {"participant_ids": [me.id]}, format="json").status_code == (
        403 if blocked else 200
    )
    # Rooms: 403 to join a room hosted by the other.
    room = w.post("/api/rooms/", {"title": "talk"}, format="json").json()["id"]
    assert c.post(f"/api/rooms/{room}/join/").status_code == (403 if blocked else 200)


@pytest.mark.django_db
def test_a_conversation_started_before_the_block_refuses_new_messages(client_for):
    me, writer = UserFactory(), UserFactory()
    conversation = client_for(me).post("/api/messages/", {"participant_ids": [writer.id]}, format="json").json()
    user_services.block_create(blocker=writer, blocked=me)
    url = f"/api/messages/{conversation['id']}/send_message/"
    assert client_for(me).post(url, {"content": "hi"}, format="json").status_code == 403
    assert client_for(writer).post(url, {"content": "hi"}, format="json").status_code == 403
    user_services.block_delete(blocker=writer, blocked=me)
    assert client_for(me).post(url, {"content": "hi"}, format="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["blocking", "blocked by"])
def test_a_mention_across_a_block_stays_text_and_notifies_nobody(client_for, django_capture_on_commit_callbacks, how):
    me, writer = UserFactory(), UserFactory()
    relate(how, me, writer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(writer).post("/api/posts/", {"content": f"hello @{me.username}"}, format="json")
    assert response.status_code == 201
    assert response.json()["content"] == f"hello @{me.username}"
    assert response.json()["mentions"] == []
    assert not Mention.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("notifications", "notified"), [(True, False), (False, True)])
def test_a_mute_with_notifications_stops_them(client_for, django_capture_on_commit_callbacks, notifications, notified):
    me, writer = UserFactory(), UserFactory()
    user_services.mute_create(muter=me, muted=writer, notifications=notifications)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(writer).post("/api/posts/", {"content": f"hello @{me.username}"}, format="json")
        client_for(writer).post(f"/api/users/{me.id}/follow/")
    assert Notification.objects.filter(recipient=me).exists() is notified
    # The mention itself stays: a mute is not a block.
    assert Mention.objects.filter(user=me).exists()


@pytest.mark.django_db
def test_notifications_from_before_a_block_come_back_when_it_ends(world, client_for):
    me, writer = world["me"], world["writer"]
    c = client_for(me)
    user_services.block_create(blocker=me, blocked=writer)
    assert c.get("/api/notifications/").json()["results"] == []
    user_services.block_delete(blocker=me, blocked=writer)
    assert [n["actor"]["id"] for n in c.get("/api/notifications/").json()["results"]] == [writer.id]


@pytest.mark.django_db
def test_a_mute_ends_by_itself_on_every_path(world, client_for):
    me, writer = world["me"], world["writer"]
    user_services.mute_create(muter=me, muted=writer, duration=60)
    c = client_for(me)
    assert world["written"] not in listed_ids(c.get("/api/search/", {"q": "findme"}))
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))  # as if a minute went by
    assert world["written"] in listed_ids(c.get("/api/search/", {"q": "findme"}))
    assert world["written"] in listed_ids(c.get(f"/api/posts/{world['parent']}/replies/"))
    assert c.get("/api/notifications/unread_count/").json() == {"unread_count": 1}


# --- The home feed, in both stores -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", RELATIONS)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_feed_by_relationship(world, client_for, settings, store, how):
    """Blocked and muted accounts' posts, their retweets and retweets of their posts leave the feed
    at once, whether the feed's entries and representations are warm or not; the retweeted posts of
    others stay, at their own entry."""
    use_feed_backend(settings, store)
    me, writer = world["me"], world["writer"]
    c = client_for(me)

    def feed() -> list[tuple[int, int | None]]:
        response = c.get("/api/posts/feed/")
        assert response.status_code == 200, response.content
        return [(i["id"], i["retweeted_by"]["id"] if i["retweeted_by"] else None) for i in response.json()["results"]]

    before = feed()  # warm: timeline built, representations cached
    assert (world["shown"], writer.id) in before
    assert (world["written"], world["friend"].id) in before
    relate(how, me, writer)
    after = feed()
    posts = [post_id for post_id, _ in after]
    retweeters = {by for _, by in after}
    if how in HIDDEN_IN_FEED:
        assert world["written"] not in posts
        assert writer.id not in retweeters
        assert world["shown"] in posts  # at its own entry
        assert world["parent"] in posts
    else:
        assert after == before
    # Pages keep to their size when hidden entries are left out.
    assert len(c.get("/api/posts/feed/", {"page_size": 2}).json()["results"]) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_feed_pages_stay_full_past_muted_entries(client_for, settings, store):
    use_feed_backend(settings, store)
    me, loud, quiet = UserFactory(), UserFactory(), UserFactory()
    c = client_for(me)
    for followee in (loud, quiet):
        c.post(f"/api/users/{followee.id}/follow/")
    quiet_posts = [
        client_for(quiet).post("/api/posts/", {"content": f"q{i}"}, format="json").json()["id"] for i in range(3)
    ]
    for i in range(12):
        client_for(loud).post("/api/posts/", {"content": f"loud {i}"}, format="json")
    c.get("/api/posts/feed/")
    c.post(f"/api/users/{loud.id}/mute/", {}, format="json")
    page = c.get("/api/posts/feed/", {"page_size": 2}).json()
    assert [item["id"] for item in page["results"]] == quiet_posts[::-1][:2]
    rest = c.get(page["next"]).json()
    assert [item["id"] for item in rest["results"]] == quiet_posts[:1]


@pytest.mark.django_db(transaction=True)
def test_a_timeline_page_with_muted_entries_is_one_read_from_redis(client_for, settings, monkeypatch):
    """A viewer who mutes someone reads half a page more at once, so a page with a few muted
    entries needs no second read; a muted account's retweet of a post the viewer would not see
    anyway (its author is not followed) keeps the page in Redis."""
    from posts import feed
    from posts.feed import timelines

    use_feed_backend(settings, "redis")
    me, friend, muted, stranger = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    c = client_for(me)
    for followee in (friend, muted):
        c.post(f"/api/users/{followee.id}/follow/")
    strangers = client_for(stranger).post("/api/posts/", {"content": "stranger"}, format="json").json()["id"]
    posted = []
    for i in range(24):
        author = muted if i % 6 == 0 else friend
        posted.append(client_for(author).post("/api/posts/", {"content": f"p{i}"}, format="json").json()["id"])
    client_for(muted).post(f"/api/posts/{strangers}/retweet/")
    assert c.get("/api/posts/feed/").status_code == 200  # builds the timeline
    c.post(f"/api/users/{muted.id}/mute/", {}, format="json")

    reads = []
    read_page = timelines.read_page
    monkeypatch.setattr(timelines, "read_page", lambda **kw: reads.append(kw) or read_page(**kw))
    monkeypatch.setattr(feed, "db_feed_page", lambda **kw: pytest.fail("served from the database"))
    page = c.get("/api/posts/feed/").json()
    friends = [post_id for i, post_id in enumerate(posted) if i % 6][::-1]
    assert [item["id"] for item in page["results"]] == friends[:20]
    assert len(reads) == 1
    rest = c.get(page["next"]).json()
    assert [item["id"] for item in rest["results"]] == friends[20:]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_feed_of_a_viewer_who_blocks_and_mutes_keeps_a_flat_query_count(
    client_for, settings, django_assert_max_num_queries, store
):
    use_feed_backend(settings, store)
    me, friend, muted, other = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    c = client_for(me)
    for followee in (friend, muted):
        c.post(f"/api/users/{followee.id}/follow/")
    for user in UserFactory.create_batch(3):
        user_services.block_create(blocker=me, blocked=user)
    user_services.mute_create(muter=me, muted=muted)
    client_for(friend).post("/api/posts/", {"content": "one"}, format="json")
    client_for(muted).post("/api/posts/", {"content": "muted"}, format="json")
    c.get("/api/posts/feed/")  # Redis: the first read builds the timeline
    hydration.forget_posts(Post.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(10) as one:
        assert len(c.get("/api/posts/feed/").json()["results"]) == 1
    queries_for_one = len(one.captured_queries)
    posted = [
        client_for(friend).post("/api/posts/", {"content": f"post {i}"}, format="json").json()["id"] for i in range(19)
    ]
    for post_id in posted[:5]:
        client_for(muted).post(f"/api/posts/{post_id}/retweet/")
        client_for(other).post(f"/api/posts/{post_id}/retweet/")
    c.get("/api/posts/feed/")
    hydration.forget_posts(Post.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(queries_for_one):
        results = c.get("/api/posts/feed/").json()["results"]
    assert len(results) == 20
    assert all(item["retweeted_by"] is None for item in results)


@pytest.mark.django_db
def test_the_microblog_api_refuses_a_follow_across_a_block(client_for):
    me, writer = UserFactory(), UserFactory()
    _, key = api_key_create(user=me, name="front end")
    user_services.block_create(blocker=writer, blocked=me)
    response = microblog(client_for(me), key).post(f"/api/users/{writer.id}/follow")
    assert response.status_code == 403
    assert response.json()["result"] is False and response.json()["error_type"] == "Forbidden"
    assert not Follow.objects.exists()
