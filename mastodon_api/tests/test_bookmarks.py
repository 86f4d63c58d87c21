"""Bookmarks: the actions, my bookmarks paginated by the bookmarks' ids, the viewer's flag."""

import pytest

from posts import services as post_services
from posts.models import Bookmark
from posts.tests.factories import PostFactory
from users import services
from users.tests.factories import UserFactory

from .entities import assert_status, ids, links, query_count

pytestmark = pytest.mark.django_db


def test_bookmark_and_unbookmark(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    client = mastodon_client(user, "write:bookmarks read:bookmarks")
    body = client.post(f"/api/v1/statuses/{post.pk}/bookmark").json()
    assert_status(body)
    assert body["bookmarked"] is True
    assert client.post(f"/api/v1/statuses/{post.pk}/bookmark").json()["bookmarked"] is True
    assert Bookmark.objects.count() == 1
    assert ids(client.get("/api/v1/bookmarks")) == [post.pk]
    assert client.post(f"/api/v1/statuses/{post.pk}/unbookmark").json()["bookmarked"] is False
    assert ids(client.get("/api/v1/bookmarks")) == []


def test_bookmark_scopes_and_authentication(mastodon_client, api_client, user, other_user):
    post = PostFactory(author=other_user)
    assert mastodon_client(user, "write:statuses").post(f"/api/v1/statuses/{post.pk}/bookmark").status_code == 403
    assert mastodon_client(user, "read:statuses").get("/api/v1/bookmarks").status_code == 403
    assert api_client.get("/api/v1/bookmarks").status_code == 401
    assert mastodon_client(app_token=True).get("/api/v1/bookmarks").status_code == 422
    assert mastodon_client(user, "read").get("/api/v1/bookmarks").status_code == 200


def test_bookmarks_are_paginated_by_bookmark_ids(mastodon_client, user):
    posts = [PostFactory(author=UserFactory()) for _ in range(3)]
    # Bookmarked out of the posts' order: the list follows the bookmarks.
    for post in (posts[1], posts[0], posts[2]):
        post_services.bookmark_create(user=user, post=post)
    bookmark_ids = list(Bookmark.objects.order_by("-id").values_list("id", flat=True))
    client = mastodon_client(user)
    page = client.get("/api/v1/bookmarks", {"limit": 2})
    assert ids(page) == [posts[2].pk, posts[0].pk]
    link = links(page)
    assert f"max_id={bookmark_ids[1]}" in link["next"] and f"min_id={bookmark_ids[0]}" in link["prev"]
    older = client.get(link["next"])
    assert ids(older) == [posts[1].pk]
    assert "next" not in links(older)
    assert ids(client.get("/api/v1/bookmarks", {"min_id": bookmark_ids[2]})) == [posts[2].pk, posts[0].pk]
    assert ids(client.get("/api/v1/bookmarks", {"since_id": bookmark_ids[1]})) == [posts[2].pk]
    assert client.get("/api/v1/bookmarks", {"max_id": "x"}).status_code == 422


def test_bookmarks_leave_out_what_i_may_no_longer_see(mastodon_client, user, other_user):
    post = PostFactory(author=other_user)
    post_services.bookmark_create(user=user, post=post)
    services.block_create(blocker=other_user, blocked=user)
    assert ids(mastodon_client(user).get("/api/v1/bookmarks")) == []


def test_bookmarked_is_the_viewers_on_every_list(mastodon_client, user, other_user):
    services.follow_create(follower=user, followee=other_user)
    post = PostFactory(author=other_user, content="#tagged")
    post_services.bookmark_create(user=user, post=post)
    client = mastodon_client(user)
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/tagged",
        f"/api/v1/accounts/{other_user.pk}/statuses",
    ):
        assert [s["bookmarked"] for s in client.get(path).json()] == [True], path
    assert mastodon_client(other_user).get("/api/v1/timelines/public").json()[0]["bookmarked"] is False


def test_bookmarks_list_has_a_fixed_query_count(mastodon_client):
    def count(n):
        me = UserFactory()
        for _ in range(n):
            post_services.bookmark_create(user=me, post=PostFactory(author=UserFactory(), content="#x @someone"))
        client = mastodon_client(me)
        return query_count(lambda: client.get("/api/v1/bookmarks", {"limit": 40}))

    assert count(1) == count(20)
