"""Concurrent likes, retweets and replies against PostgreSQL leave exact counts and no duplicates."""

import pytest
from rest_framework.test import APIClient

from mini_twitter.testing import run_in_threads
from posts.models import Like, Post, Retweet
from posts.tests.factories import PostFactory
from users.models import Profile
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_concurrent_likes_and_retweets_are_counted_exactly(live_services):
    post = PostFactory()
    users = UserFactory.create_batch(8)

    def like_and_retweet_twice(i: int) -> None:
        c = client(users[i])
        for _ in range(2):
            assert c.post(f"/api/posts/{post.id}/like/").status_code == 200
            assert c.post(f"/api/posts/{post.id}/retweet/").status_code == 200

    run_in_threads(len(users), like_and_retweet_twice)
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count) == (8, 8)
    assert Like.objects.filter(post=post).count() == 8 and Retweet.objects.filter(post=post).count() == 8

    def undo(i: int) -> None:
        c = client(users[i % 4])
        assert c.post(f"/api/posts/{post.id}/unlike/").status_code == 200
        assert c.post(f"/api/posts/{post.id}/unretweet/").status_code == 200

    run_in_threads(8, undo)  # two racing undos for each of four users
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count) == (4, 4)


def test_same_like_raced_by_one_user_is_stored_once(live_services):
    post, fan = PostFactory(), UserFactory()
    run_in_threads(6, lambda i: client(fan).post(f"/api/posts/{post.id}/like/"))
    post.refresh_from_db()
    assert post.likes_count == 1
    assert Like.objects.filter(post=post, user=fan).count() == 1


def test_concurrent_replies_and_posts_keep_counters(live_services):
    parent = PostFactory()
    author = UserFactory()

    def reply(i: int) -> None:
        response = client(author).post("/api/posts/", {"content": f"reply {i}", "reply_to": parent.id}, format="json")
        assert response.status_code == 201

    run_in_threads(8, reply)
    parent.refresh_from_db()
    assert parent.replies_count == 8
    assert Profile.objects.get(pk=author.pk).posts_count == 8 == Post.objects.filter(author=author).count()


def test_concurrent_posts_sharing_hashtags_in_any_order_never_deadlock_and_count_exactly(live_services):
    from posts.models import Hashtag

    authors = UserFactory.create_batch(8)
    orders = ["#alpha #beta #gamma", "#gamma #beta #alpha", "#beta #alpha", "#gamma #alpha"]

    def post_and_edit(i: int) -> None:
        c = client(authors[i])
        for round_ in range(3):
            content = f"{orders[(i + round_) % len(orders)]} from {i}"
            created = c.post("/api/posts/", {"content": content}, format="json")
            assert created.status_code == 201, created.content
        # Edits move the counts both ways in one transaction.
        edited = c.patch(f"/api/posts/{created.json()['id']}/", {"content": "#beta only"}, format="json")
        assert edited.status_code == 200, edited.content

    run_in_threads(len(authors), post_and_edit)
    counts = dict(Hashtag.objects.values_list("name", "posts_count"))
    for name in ("alpha", "beta", "gamma"):
        assert counts[name] == Post.objects.filter(hashtags__name=name).count(), name
    assert counts["beta"] > 0
