"""Every read of posts goes through one rule (:mod:`posts.visibility`): the table below lists the
read paths (every endpoint that shows posts or names one, native and microblog, and the feed in both
stores), and each is checked twice, with a post hidden because its author is deactivated and with a
post hidden by changing the rule itself, which every path must then honour."""

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from mastodon_api.tests.tokens import issue_token, mastodon_ids
from notifications.models import Notification
from notifications.services import notification_create_mentions
from posts import hydration, services, visibility
from posts.models import Bookmark, Like, Post
from posts.tests.conftest import use_feed_backend
from posts.tests.factories import PostFactory
from posts.tests.reads import listed_ids
from users.models import User
from users.selectors import user_list_active
from users.serializers import user_short_data_of
from users.services import api_key_create
from users.tests.factories import UserFactory

HIDINGS = ["deactivated author", "rule changed"]


def hide(how: str, post_id: int, monkeypatch) -> None:
    """Hide one post from everyone: deactivate its author (saved, so cached forms are forgotten
    after commit), or extend the rule, in both its forms, to hide this post alone."""
    if how == "deactivated author":
        author = User.objects.get(posts__pk=post_id)
        author.is_active = False
        author.save()
        return
    rule_q, rule = visibility.post_visible_q, visibility.post_visible
    monkeypatch.setattr(
        visibility,
        "post_visible_q",
        lambda viewer, *, prefix="", **kw: rule_q(viewer, prefix=prefix, **kw) & ~Q(**{f"{prefix}pk": post_id}),
    )
    monkeypatch.setattr(
        visibility,
        "post_visible",
        lambda viewer, *, post, author, **kw: rule(viewer, post=post, author=author, **kw) and post["id"] != post_id,
    )


@pytest.fixture
def world(client_for):
    """``me`` follows ``writer`` (whose post ``hidden`` gets hidden) and ``friend`` (whose posts
    ``parent`` and ``shown`` stay); ``hidden`` replies to ``parent`` and ``child`` replies to
    ``hidden``. Every post says "findme" and has #topic; ``hidden`` alone has #onlyhidden."""
    me, writer, friend = UserFactory(), UserFactory(), UserFactory()
    for followee in (writer, friend):
        client_for(me).post(f"/api/users/{followee.id}/follow/")

    def post(user, content, reply_to=None) -> int:
        body = {"content": content, "reply_to": reply_to}
        response = client_for(user).post("/api/posts/", body, format="json")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    parent = post(friend, "parent findme #topic")
    hidden = post(writer, "hidden findme #topic #onlyhidden", reply_to=parent)
    child = post(friend, "child findme #topic", reply_to=hidden)
    shown = post(friend, "shown findme #topic")
    _, key = api_key_create(user=me, name="front end")
    return {
        "me": me,
        "writer": writer,
        "friend": friend,
        "parent": parent,
        "hidden": hidden,
        "child": child,
        "shown": shown,
        "key": key,
    }


def fresh_trending(client) -> list[dict]:
    cache.delete("posts:trending")  # cached for a minute by design
    return client.get("/api/posts/trending_hashtags/").json()


def mastodon(client, world):
    """The client speaking the Mastodon API as ``me`` (an OAuth token, issued once per world)."""
    client.force_authenticate(user=None)
    if "token" not in world:
        world["token"] = issue_token(world["me"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['token']}")
    return client


def mastodon_liked(client, world):
    """My favourites after liking the hidden post (whatever hides it)."""
    Like.objects.get_or_create(user=world["me"], post_id=world["hidden"])
    return mastodon_ids(mastodon(client, world).get("/api/v1/favourites"))


def mastodon_notified(client, world) -> list[int]:
    """The statuses my Mastodon notifications show once the hidden post mentions me (a notification
    made once: creating it again adds nothing)."""
    notification_create_mentions(actor_id=world["writer"].pk, recipient_ids=[world["me"].pk], post_id=world["hidden"])
    body = mastodon(client, world).get("/api/v1/notifications").json()
    return [int(notification["status"]["id"]) for notification in body if "status" in notification]


def mastodon_notification(client, world):
    """The Mastodon notification of the hidden post mentioning me."""
    mastodon_notified(client, world)
    notification_id = Notification.objects.get(recipient=world["me"], post_id=world["hidden"]).pk
    return mastodon(client, world).get(f"/api/v1/notifications/{notification_id}")


def mastodon_tag_counts_it(tags: list[dict]) -> bool:
    """Whether these Mastodon tags count the hidden post (four posts say #topic today)."""
    return any(
        tag["name"] == "onlyhidden" or (tag["name"] == "topic" and tag["history"][0]["uses"] != "3") for tag in tags
    )


def fresh_mastodon_trends(client, world, path) -> list[dict] | dict:
    cache.clear()  # the trending list and each tag's history are cached for a minute by design
    return mastodon(client, world).get(path).json()


def pinned_ids(client, world) -> list[int]:
    """The writer's pinned posts as the client sees them, once the writer has pinned ``hidden``."""
    services.pin_create(user=world["writer"], post=Post.objects.get(pk=world["hidden"]))
    return listed_ids(client.get("/api/posts/", {"author": world["writer"].id, "pinned": "true"}))


def bookmarked_ids(client, world) -> list[int]:
    """The client's bookmarks, once it has bookmarked ``hidden`` (while it could)."""
    client.post(f"/api/posts/{world['hidden']}/bookmark/")
    return listed_ids(client.get("/api/posts/bookmarks/"))


def mastodon_writer(client, world):
    """The client speaking the Mastodon API as ``writer``, the hidden post's author (for the
    endpoints that act on one's own statuses only)."""
    client.force_authenticate(user=None)
    if "writer_token" not in world:
        world["writer_token"] = issue_token(world["writer"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {world['writer_token']}")
    return client


def rolled_back(call):
    """``call()``'s answer, what it wrote undone (a delete checked before and after hiding)."""
    with transaction.atomic():
        response = call()
        transaction.set_rollback(True)
    return response


def mastodon_bookmarked(client, world) -> list[int]:
    """My bookmarks through the Mastodon API, once I have bookmarked ``hidden`` (while I could)."""
    Bookmark.objects.get_or_create(user=world["me"], post_id=world["hidden"])
    return mastodon_ids(mastodon(client, world).get("/api/v1/bookmarks"))


def mastodon_pinned(client, world) -> list[int]:
    """The writer's pinned statuses as I see them, once the writer has pinned ``hidden`` (a
    deactivated author's account is gone: 404, nothing shown)."""
    services.pin_create(user=world["writer"], post=Post.objects.get(pk=world["hidden"]))
    response = mastodon(client, world).get(f"/api/v1/accounts/{world['writer'].id}/statuses", {"pinned": "true"})
    return [] if response.status_code == 404 else mastodon_ids(response)


def mastodon_action(action: str):
    """``POST /api/v1/statuses/{hidden}/<action>`` as ``me``: does it act on the post?"""
    return lambda c, w: mastodon(c, w).post(f"/api/v1/statuses/{w['hidden']}/{action}").status_code != 404


def microblog(client, world):
    client.force_authenticate(user=None)
    client.credentials(HTTP_API_KEY=world["key"])
    return client


# Each read path: (method, documented path, check). A check gets an authenticated client (as ``me``),
# the world and the post ids, and returns what the path shows of the hidden post: True when it shows
# (or acts on) it, False when it leaves it out (404 for a path naming it).
READ_PATHS = {
    ("get", "/posts/"): lambda c, w: w["hidden"] in listed_ids(c.get("/api/posts/")),
    ("get", "/posts/?author="): lambda c, w: (
        w["hidden"] in listed_ids(c.get("/api/posts/", {"author": w["writer"].id}))
    ),
    ("get", "/posts/?hashtag="): lambda c, w: w["hidden"] in listed_ids(c.get("/api/posts/", {"hashtag": "topic"})),
    ("get", "/posts/?search="): lambda c, w: w["hidden"] in listed_ids(c.get("/api/posts/", {"search": "findme"})),
    ("get", "/posts/{id}/"): lambda c, w: c.get(f"/api/posts/{w['hidden']}/").status_code != 404,
    ("put", "/posts/{id}/"): lambda c, w: c.put(f"/api/posts/{w['hidden']}/", {"content": "x"}).status_code != 404,
    ("patch", "/posts/{id}/"): lambda c, w: c.patch(f"/api/posts/{w['hidden']}/", {"content": "x"}).status_code != 404,
    ("delete", "/posts/{id}/"): lambda c, w: c.delete(f"/api/posts/{w['hidden']}/").status_code != 404,
    ("post", "/posts/{id}/like/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/like/").status_code != 404,
    ("post", "/posts/{id}/unlike/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/unlike/").status_code != 404,
    ("post", "/posts/{id}/retweet/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/retweet/").status_code != 404,
    ("post", "/posts/{id}/unretweet/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/unretweet/").status_code != 404,
    ("get", "/posts/{id}/replies/"): lambda c, w: c.get(f"/api/posts/{w['hidden']}/replies/").status_code != 404,
    ("post", "/posts/{id}/bookmark/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/bookmark/").status_code != 404,
    ("post", "/posts/{id}/unbookmark/"): lambda c, w: (
        c.post(f"/api/posts/{w['hidden']}/unbookmark/").status_code != 404
    ),
    ("get", "/posts/bookmarks/"): lambda c, w: w["hidden"] in bookmarked_ids(c, w),
    # Someone else's post: 403 while visible, 404 once hidden.
    ("post", "/posts/{id}/pin/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/pin/").status_code != 404,
    ("post", "/posts/{id}/unpin/"): lambda c, w: c.post(f"/api/posts/{w['hidden']}/unpin/").status_code != 404,
    ("get", "/posts/?pinned="): lambda c, w: w["hidden"] in pinned_ids(c, w),
    ("get", "/posts/{id}/history/"): lambda c, w: c.get(f"/api/posts/{w['hidden']}/history/").status_code != 404,
    ("get", "/posts/{id}/replies/ (of its parent)"): lambda c, w: (
        w["hidden"] in listed_ids(c.get(f"/api/posts/{w['parent']}/replies/"))
    ),
    ("post", "/posts/"): lambda c, w: (
        c.post("/api/posts/", {"content": "hi", "reply_to": w["hidden"]}, format="json").status_code != 400
    ),
    ("get", "/hashtags/{name}/posts/"): lambda c, w: w["hidden"] in listed_ids(c.get("/api/hashtags/topic/posts/")),
    ("get", "/search/"): lambda c, w: w["hidden"] in listed_ids(c.get("/api/search/", {"q": "findme"})),
    ("get", "/posts/trending_hashtags/"): lambda c, w: any(
        tag["name"] == "onlyhidden" or (tag["name"] == "topic" and tag["count"] != 3) for tag in fresh_trending(c)
    ),
    ("get", "/tweets"): lambda c, w: w["hidden"] in listed_ids(microblog(c, w).get("/api/tweets")),
    ("delete", "/tweets/{tweet_id}"): lambda c, w: (
        microblog(c, w).delete(f"/api/tweets/{w['hidden']}").status_code != 404
    ),
    ("post", "/tweets/{tweet_id}/likes"): lambda c, w: (
        microblog(c, w).post(f"/api/tweets/{w['hidden']}/likes").status_code != 404
    ),
    ("delete", "/tweets/{tweet_id}/likes"): lambda c, w: (
        microblog(c, w).delete(f"/api/tweets/{w['hidden']}/likes").status_code != 404
    ),
    ("get", "/v1/statuses/{id}"): lambda c, w: mastodon(c, w).get(f"/api/v1/statuses/{w['hidden']}").status_code != 404,
    ("get", "/v1/statuses/{id}/context"): lambda c, w: (
        mastodon(c, w).get(f"/api/v1/statuses/{w['hidden']}/context").status_code != 404
    ),
    ("get", "/v1/statuses/{id}/context (of its parent)"): lambda c, w: (
        str(w["hidden"])
        in [s["id"] for s in mastodon(c, w).get(f"/api/v1/statuses/{w['parent']}/context").json()["descendants"]]
    ),
    ("get", "/v1/statuses/{id}/favourited_by"): lambda c, w: (
        mastodon(c, w).get(f"/api/v1/statuses/{w['hidden']}/favourited_by").status_code != 404
    ),
    ("get", "/v1/statuses/{id}/reblogged_by"): lambda c, w: (
        mastodon(c, w).get(f"/api/v1/statuses/{w['hidden']}/reblogged_by").status_code != 404
    ),
    # A deactivated author's account is gone (404): its posts are not shown either.
    ("get", "/v1/accounts/{id}/statuses"): lambda c, w: (
        (response := mastodon(c, w).get(f"/api/v1/accounts/{w['writer'].id}/statuses")).status_code != 404
        and w["hidden"] in mastodon_ids(response)
    ),
    ("get", "/v1/favourites"): lambda c, w: w["hidden"] in mastodon_liked(c, w),
    ("get", "/v1/timelines/home"): lambda c, w: (
        w["hidden"] in mastodon_ids(mastodon(c, w).get("/api/v1/timelines/home"))
    ),
    ("get", "/v1/timelines/public"): lambda c, w: (
        w["hidden"] in mastodon_ids(mastodon(c, w).get("/api/v1/timelines/public"))
    ),
    ("get", "/v1/timelines/tag/{hashtag}"): lambda c, w: (
        w["hidden"] in mastodon_ids(mastodon(c, w).get("/api/v1/timelines/tag/topic"))
    ),
    ("get", "/v1/accounts/{id}/statuses (pinned)"): lambda c, w: w["hidden"] in mastodon_pinned(c, w),
    ("post", "/v1/statuses"): lambda c, w: (
        mastodon(c, w).post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(w["hidden"])}).status_code == 200
    ),
    # One's own statuses only: checked as their author (a deactivated author's token is refused).
    ("put", "/v1/statuses/{id}"): lambda c, w: (
        mastodon_writer(c, w).put(f"/api/v1/statuses/{w['hidden']}", {"status": "x"}).status_code == 200
    ),
    ("delete", "/v1/statuses/{id}"): lambda c, w: (
        rolled_back(lambda: mastodon_writer(c, w).delete(f"/api/v1/statuses/{w['hidden']}")).status_code == 200
    ),
    ("get", "/v1/statuses/{id}/source"): lambda c, w: (
        mastodon_writer(c, w).get(f"/api/v1/statuses/{w['hidden']}/source").status_code == 200
    ),
    ("post", "/v1/statuses/{id}/pin"): lambda c, w: (
        mastodon_writer(c, w).post(f"/api/v1/statuses/{w['hidden']}/pin").status_code == 200
    ),
    ("post", "/v1/statuses/{id}/unpin"): lambda c, w: (
        mastodon_writer(c, w).post(f"/api/v1/statuses/{w['hidden']}/unpin").status_code == 200
    ),
    ("get", "/v1/statuses/{id}/history"): lambda c, w: (
        mastodon(c, w).get(f"/api/v1/statuses/{w['hidden']}/history").status_code != 404
    ),
    **{
        ("post", f"/v1/statuses/{{id}}/{action}"): mastodon_action(action)
        for action in ("favourite", "unfavourite", "reblog", "unreblog", "bookmark", "unbookmark")
    },
    ("get", "/v1/bookmarks"): lambda c, w: w["hidden"] in mastodon_bookmarked(c, w),
    ("get", "/v2/search"): lambda c, w: (
        w["hidden"] in [int(s["id"]) for s in mastodon(c, w).get("/api/v2/search", {"q": "findme"}).json()["statuses"]]
    ),
    ("get", "/v1/notifications"): lambda c, w: w["hidden"] in mastodon_notified(c, w),
    ("get", "/v1/notifications/{id}"): lambda c, w: mastodon_notification(c, w).status_code != 404,
    ("get", "/v1/trends/tags"): lambda c, w: mastodon_tag_counts_it(fresh_mastodon_trends(c, w, "/api/v1/trends/tags")),
    ("get", "/v1/trends"): lambda c, w: mastodon_tag_counts_it(fresh_mastodon_trends(c, w, "/api/v1/trends")),
    ("get", "/v1/tags/{name}"): lambda c, w: mastodon_tag_counts_it(
        [fresh_mastodon_trends(c, w, "/api/v1/tags/topic")]
    ),
}
# The home feed, checked in both stores by test_the_feed_leaves_a_hidden_post_out below.
FEED = ("get", "/posts/feed/")


@pytest.mark.django_db
@pytest.mark.parametrize("how", HIDINGS)
@pytest.mark.parametrize("path", list(READ_PATHS), ids=" ".join)
def test_every_read_path_leaves_a_hidden_post_out(world, client_for, monkeypatch, path, how):
    check = READ_PATHS[path]
    # Anyone but the author acts here: the author's own writes would be refused for other reasons.
    # Before, the path shows the post (the check is not vacuous)...
    assert check(client_for(world["me"]), world) is True
    hide(how, world["hidden"], monkeypatch)
    # ...after, it does not.
    assert check(client_for(world["me"]), world) is False


@pytest.mark.django_db
@pytest.mark.parametrize("how", HIDINGS)
def test_lists_still_show_the_visible_posts(world, client_for, monkeypatch, how):
    hide(how, world["hidden"], monkeypatch)
    client = client_for(world["me"])
    visible = {world["parent"], world["child"], world["shown"]}
    assert set(listed_ids(client.get("/api/posts/"))) == visible
    assert set(listed_ids(client.get("/api/hashtags/topic/posts/"))) == visible
    assert set(listed_ids(client.get("/api/search/", {"q": "findme"}))) == visible
    assert listed_ids(client.get(f"/api/posts/{world['parent']}/replies/")) == []
    assert client.get(f"/api/posts/{world['child']}/").json()["reply_to"] == world["hidden"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", HIDINGS)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_the_feed_leaves_a_hidden_post_out(world, client_for, settings, monkeypatch, store, how):
    """GET /api/posts/feed/ (and the Mastodon API's home timeline) in both stores (Redis: run for real
    in CI, skipped without it elsewhere), before and after the feed's cached representations are warm."""
    use_feed_backend(settings, store)
    client = client_for(world["me"])
    everything = {world["parent"], world["hidden"], world["child"], world["shown"]}
    assert set(listed_ids(client.get("/api/posts/feed/"))) == everything  # cached representations warm now
    hide(how, world["hidden"], monkeypatch)
    assert set(listed_ids(client.get("/api/posts/feed/"))) == everything - {world["hidden"]}
    hydration.forget_posts(everything)  # and cold
    hydration.forget_users([world["writer"].pk, world["friend"].pk])
    assert set(listed_ids(client.get("/api/posts/feed/"))) == everything - {world["hidden"]}
    # The Mastodon API's home timeline reads the same feed.
    home = mastodon(client_for(world["me"]), world).get("/api/v1/timelines/home")
    assert set(mastodon_ids(home)) == everything - {world["hidden"]}


@pytest.mark.django_db
def test_the_table_lists_every_endpoint_that_shows_or_names_a_post(api_client):
    """An endpoint added later that returns posts (or takes a post's id) must join the table."""
    schema = api_client.get("/swagger.json").json()
    shows_posts = ("Post", "FeedItem", "PaginatedPost", "PaginatedFeedItem", "PaginatedSearchResult", "Tweets")
    shows_posts += ("TrendingHashtag", "MastodonStatus", "MastodonContext")
    shows_posts += ("MastodonSearch", "MastodonNotification", "MastodonTag")
    documented = set()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            answers = json.dumps({code: operation["responses"].get(code) for code in ("200", "201")})
            names_a_post = path.startswith(("/posts/{id}", "/v1/statuses/{id}")) or "{tweet_id}" in path
            if names_a_post or any(f'/definitions/{name}"' in answers for name in shows_posts):
                documented.add((method, path))
    listed = {(method, path.split(" ")[0].split("?")[0]) for method, path in READ_PATHS} | {FEED}
    assert documented == listed


def test_the_rule_in_python_agrees_with_the_rule_in_queries(db):
    """The feed's cached path loads authors' short forms for active accounts only (None otherwise)
    and asks :func:`visibility.post_visible`; queries filter with :func:`visibility.post_visible_q`."""
    viewer = UserFactory()
    posts = [PostFactory(author=UserFactory(is_active=active)) for active in (True, False)]
    loadable = set(user_list_active().values_list("pk", flat=True))

    def author_form(post):
        return user_short_data_of(post.author) if post.author_id in loadable else None

    in_queries = set(
        visibility.post_list_visible(viewer).filter(pk__in=[p.pk for p in posts]).values_list("pk", flat=True)
    )
    in_python = {p.pk for p in posts if visibility.post_visible(viewer, post={"id": p.pk}, author=author_form(p))}
    assert in_queries == in_python == {posts[0].pk}
