"""Concurrent likes, retweets and replies against PostgreSQL leave exact counts and no duplicates."""

import pytest
from rest_framework.test import APIClient

from posts.models import Like, Post, Retweet
from posts.tests.factories import PostFactory
from tests.support import run_in_threads
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


def test_concurrent_deletes_of_one_post_delete_and_count_once(live_services):
    from posts.models import Hashtag

    author = UserFactory()
    PostFactory(author=author)  # another post keeps the author's count above zero
    c = client(author)
    parent = c.post("/api/posts/", {"content": "parent #shared"}, format="json").json()
    c.post("/api/posts/", {"content": "other #shared"}, format="json")
    reply = c.post("/api/posts/", {"content": "reply #shared", "reply_to": parent["id"]}, format="json").json()
    Profile.objects.filter(pk=author.pk).update(posts_count=Post.objects.filter(author=author).count())
    statuses: list[int] = []

    run_in_threads(6, lambda i: statuses.append(client(author).delete(f"/api/posts/{reply['id']}/").status_code))

    assert sorted(statuses) == [204, 404, 404, 404, 404, 404]
    assert not Post.objects.filter(pk=reply["id"]).exists()
    assert Profile.objects.get(pk=author.pk).posts_count == Post.objects.filter(author=author).count() == 3
    assert Hashtag.objects.get(name="shared").posts_count == 2
    assert Post.objects.get(pk=parent["id"]).replies_count == 0


def test_replies_racing_the_deletion_of_their_post_are_stored_or_refused_never_500(live_services):
    author, repliers = UserFactory(), UserFactory.create_batch(5)
    parent = PostFactory(author=author)
    statuses: dict[int, int] = {}

    def act(i: int) -> None:
        if i == 0:
            statuses[i] = client(author).delete(f"/api/posts/{parent.id}/").status_code
        else:
            body = {"content": f"reply {i} #race", "reply_to": parent.id}
            statuses[i] = client(repliers[i - 1]).post("/api/posts/", body, format="json").status_code

    run_in_threads(6, act)

    assert statuses[0] == 204
    assert {statuses[i] for i in range(1, 6)} <= {201, 400}
    stored = Post.objects.filter(author__in=repliers)
    assert stored.count() == sum(1 for i in range(1, 6) if statuses[i] == 201)
    assert all(post.reply_to_id is None for post in stored)
    for replier in repliers:
        assert Profile.objects.get(pk=replier.pk).posts_count == stored.filter(author=replier).count()


def test_users_following_each_other_at_once_never_deadlock(live_services):
    users = UserFactory.create_batch(4)

    def follow_everyone(i: int) -> None:
        c = client(users[i])
        for other in users:
            if other != users[i]:
                assert c.post(f"/api/users/{other.id}/follow/").status_code == 201
        for other in users:
            if other != users[i]:
                assert c.post(f"/api/users/{other.id}/unfollow/").status_code == 200

    run_in_threads(len(users), follow_everyone)
    for user in users:
        profile = Profile.objects.get(pk=user.pk)
        assert (profile.followers_count, profile.following_count) == (0, 0)


def test_concurrent_unfollows_count_once(live_services):
    fan, star = UserFactory(), UserFactory()
    assert client(fan).post(f"/api/users/{star.id}/follow/").status_code == 201
    run_in_threads(6, lambda i: client(fan).post(f"/api/users/{star.id}/unfollow/"))
    assert Profile.objects.get(pk=fan.pk).following_count == 0
    assert Profile.objects.get(pk=star.pk).followers_count == 0


def test_edits_racing_the_deletion_of_their_post_are_applied_first_or_404(live_services):
    author = UserFactory()
    post = PostFactory(author=author)
    statuses: dict[int, int] = {}

    def act(i: int) -> None:
        c = client(author)
        if i == 0:
            statuses[i] = c.delete(f"/api/posts/{post.id}/").status_code
        else:
            statuses[i] = c.patch(f"/api/posts/{post.id}/", {"content": f"#edit {i}"}, format="json").status_code

    run_in_threads(6, act)
    assert statuses[0] == 204
    assert {statuses[i] for i in range(1, 6)} <= {200, 404}
    assert not Post.objects.filter(pk=post.id).exists()
    from posts.models import Hashtag

    assert set(Hashtag.objects.values_list("posts_count", flat=True)) <= {0}


def test_racing_pins_never_pin_more_than_five(live_services):
    author = UserFactory()
    posts = [PostFactory(author=author) for _ in range(8)]
    statuses = []

    def pin(i: int) -> None:
        statuses.append(client(author).post(f"/api/posts/{posts[i].id}/pin/").status_code)

    run_in_threads(len(posts), pin)
    assert sorted(statuses) == [200] * 5 + [400] * 3
    assert Post.objects.filter(author=author, pinned_at__isnull=False).count() == 5


def test_same_bookmark_raced_by_one_user_is_stored_once(live_services):
    from posts.models import Bookmark

    post, reader = PostFactory(), UserFactory()
    run_in_threads(6, lambda i: client(reader).post(f"/api/posts/{post.id}/bookmark/"))
    assert Bookmark.objects.filter(post=post, user=reader).count() == 1


def test_racing_edits_each_keep_the_version_they_replace(live_services):
    from posts.models import PostEdit

    author = UserFactory()
    post = PostFactory(author=author, content="original")

    def edit(i: int) -> None:
        assert (
            client(author).patch(f"/api/posts/{post.id}/", {"content": f"edit {i}"}, format="json").status_code == 200
        )

    run_in_threads(6, edit)
    versions = client(author).get(f"/api/posts/{post.id}/history/").json()
    contents = [v["content"] for v in versions]
    # Every version appears once, each edit replacing the one before it: a chain, not a fork.
    assert contents[0] == "original" and len(contents) == 7 == len(set(contents))
    assert PostEdit.objects.filter(post=post).count() == 6
    assert [v["created_at"] for v in versions] == sorted(v["created_at"] for v in versions)
