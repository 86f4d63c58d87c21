"""Timelines: home (the native feed, in both stores), public and hashtag."""

import pytest

from media import services as media_services
from media.tests.images import upload
from posts import services as post_services
from posts.models import Post, Retweet
from posts.tests.conftest import use_feed_backend
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import assert_status, ids, links, query_count

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["database", "redis"])
def store(request, settings):
    use_feed_backend(settings, request.param)
    return request.param


def test_home_is_the_native_feed_with_reblogs(mastodon_client, user, other_user, store):
    services.follow_create(follower=user, followee=other_user)
    stranger = UserFactory()
    old = PostFactory(author=stranger)
    mine = PostFactory(author=user)
    theirs = PostFactory(author=other_user)
    post_services.retweet_create(user=other_user, post=old)
    PostFactory(author=stranger)  # not followed: not in the feed
    response = mastodon_client(user, "read:statuses").get("/api/v1/timelines/home")
    body = response.json()
    for status in body:
        assert_status(status)
    reblog_id = 2**62 + Retweet.objects.get().pk
    assert [s["id"] for s in body] == [str(reblog_id), str(theirs.pk), str(mine.pk)]
    assert body[0]["reblog"]["id"] == str(old.pk) and body[0]["account"]["id"] == str(other_user.pk)
    assert "next" not in links(response) and "min_id=" in links(response)["prev"]


def test_home_walks_down_and_up_with_link_headers(mastodon_client, user, other_user, store):
    services.follow_create(follower=user, followee=other_user)
    posts = [PostFactory(author=other_user) for _ in range(4)]
    post_services.retweet_create(user=other_user, post=PostFactory(author=UserFactory()))
    reblog = str(2**62 + Retweet.objects.get().pk)
    newest_first = [reblog] + [str(p.pk) for p in reversed(posts)]
    client = mastodon_client(user)
    first = client.get("/api/v1/timelines/home", {"limit": 2})
    assert [s["id"] for s in first.json()] == newest_first[:2]
    second = client.get(links(first)["next"])
    assert [s["id"] for s in second.json()] == newest_first[2:4]
    third = client.get(links(second)["next"])
    assert [s["id"] for s in third.json()] == newest_first[4:]
    assert "next" not in links(third)
    assert [s["id"] for s in client.get(links(third)["prev"]).json()] == newest_first[2:4]
    assert [s["id"] for s in client.get(links(second)["prev"]).json()] == newest_first[:2]
    # The last status's id works as max_id too, and since_id stops above it.
    assert [s["id"] for s in client.get("/api/v1/timelines/home", {"max_id": newest_first[1]}).json()] == (
        newest_first[2:]
    )
    since = client.get("/api/v1/timelines/home", {"since_id": newest_first[3], "limit": 2}).json()
    assert [s["id"] for s in since] == newest_first[:2]
    since = client.get("/api/v1/timelines/home", {"since_id": newest_first[2], "limit": 5}).json()
    assert [s["id"] for s in since] == newest_first[:2]
    assert client.get("/api/v1/timelines/home", {"min_id": newest_first[0]}).json() == []


def test_home_leaves_out_blocked_and_muted_accounts(mastodon_client, user, other_user):
    muted = UserFactory()
    for followee in (other_user, muted):
        services.follow_create(follower=user, followee=followee)
    shown = PostFactory(author=other_user)
    PostFactory(author=muted)
    services.mute_create(muter=user, muted=muted)
    assert ids(mastodon_client(user).get("/api/v1/timelines/home")) == [shown.pk]


def test_home_needs_a_user(api_client, mastodon_client):
    assert api_client.get("/api/v1/timelines/home").status_code == 401
    assert mastodon_client(app_token=True).get("/api/v1/timelines/home").status_code == 422


def test_public_lists_public_posts_only(api_client, mastodon_client, user, other_user):
    public = PostFactory(author=other_user)
    unlisted = PostFactory(author=other_user)
    followers = PostFactory(author=other_user)
    Post.objects.filter(pk=unlisted.pk).update(visibility="unlisted")
    Post.objects.filter(pk=followers.pk).update(visibility="followers")
    services.follow_create(follower=user, followee=other_user)
    assert ids(api_client.get("/api/v1/timelines/public")) == [public.pk]
    assert ids(mastodon_client(user).get("/api/v1/timelines/public", {"local": "true"})) == [public.pk]
    assert ids(api_client.get("/api/v1/timelines/public", {"remote": "true"})) == []
    assert ids(api_client.get("/api/v1/timelines/public", {"only_media": "true"})) == []
    services.block_create(blocker=other_user, blocked=user)
    assert ids(mastodon_client(user).get("/api/v1/timelines/public")) == []


def test_tag_timeline_walks_with_link_headers(api_client, user):
    posts = [PostFactory(author=user, content=f"#Topic {i}") for i in range(3)]
    PostFactory(author=user, content="#other")
    first = api_client.get("/api/v1/timelines/tag/topic", {"limit": 2})
    assert ids(first) == [posts[2].pk, posts[1].pk]
    assert ids(api_client.get(links(first)["next"])) == [posts[0].pk]
    assert ids(api_client.get("/api/v1/timelines/tag/nothing")) == []


def test_timelines_take_as_many_queries_for_1_row_as_for_20(mastodon_client, api_client):
    def counts(n):
        me, author = UserFactory(), UserFactory()
        services.follow_create(follower=me, followee=author)
        for i in range(n):
            PostFactory(author=author, content=f"#same {i}")
            post_services.retweet_create(user=author, post=PostFactory(author=UserFactory()))
        client = mastodon_client(me)
        paths = ["/api/v1/timelines/home", "/api/v1/timelines/public", "/api/v1/timelines/tag/same"]
        return [query_count(lambda p=p: client.get(p, {"limit": 40})) for p in paths]

    assert counts(1) == counts(20)


def test_media_attachments_and_only_media(api_client, user):
    media = media_services.media_create(owner=user, upload=upload())
    with_media = post_services.post_create(author=user, content="look", media_ids=[media.pk])
    PostFactory(author=user)
    response = api_client.get("/api/v1/timelines/public", {"only_media": "true"})
    assert ids(response) == [with_media.pk]
    (attachment,) = response.json()[0]["media_attachments"]
    assert attachment == {
        "id": str(media.pk),
        "type": "image",
        "url": attachment["url"],
        "preview_url": attachment["preview_url"],
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {
            "original": {"width": 40, "height": 30, "size": "40x30", "aspect": 40 / 30},
            "small": {"width": 40, "height": 30, "size": "40x30", "aspect": 40 / 30},
        },
        "description": None,
        "blurhash": None,
    }
    assert attachment["url"].startswith("http://testserver/media/uploads/")
    assert (
        attachment["preview_url"].startswith("http://testserver/media/uploads/")
        and "_thumb" in attachment["preview_url"]
    )
    statuses = api_client.get(f"/api/v1/accounts/{user.pk}/statuses", {"only_media": "1"})
    assert ids(statuses) == [with_media.pk]
