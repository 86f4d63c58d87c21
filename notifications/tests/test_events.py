"""Which actions notify whom: each type comes from the real API action, run after commit (tasks run
inline in tests)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import tasks
from notifications.models import Notification
from posts import tasks as post_tasks
from posts.models import Like, Retweet
from posts.tests.factories import PostFactory
from users.models import Follow
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(client_for, django_capture_on_commit_callbacks):
    """``act(user, method, path, data)`` → the response, with the after-commit tasks run."""

    def run(user, method, path, data=None):
        with django_capture_on_commit_callbacks(execute=True):
            response = getattr(client_for(user), method)(path, data, format="json")
        assert response.status_code < 300, response.content
        return response

    return run


def notifications(**filters):
    return list(
        Notification.objects.filter(**filters)
        .order_by("id")
        .values_list("recipient__username", "actor__username", "type", "post_id")
    )


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def test_follow_notifies_the_followee(act, alice, bob):
    act(bob, "post", f"/api/users/{alice.id}/follow/")
    assert notifications() == [("alice", "bob", "follow", None)]
    act(bob, "post", f"/api/users/{alice.id}/follow/")  # already following: 200, nothing new
    act(bob, "post", f"/api/users/{alice.id}/unfollow/")
    act(bob, "post", f"/api/users/{alice.id}/follow/")
    assert len(notifications()) == 1


def test_like_notifies_the_author_once_even_after_unlike_and_like_again(act, alice, bob):
    post = PostFactory(author=alice)
    act(bob, "post", f"/api/posts/{post.id}/like/")
    act(bob, "post", f"/api/posts/{post.id}/unlike/")
    act(bob, "post", f"/api/posts/{post.id}/like/")
    assert notifications() == [("alice", "bob", "like", post.id)]


def test_retweet_notifies_the_author(act, alice, bob):
    post = PostFactory(author=alice)
    act(bob, "post", f"/api/posts/{post.id}/retweet/")
    act(bob, "post", f"/api/posts/{post.id}/unretweet/")
    act(bob, "post", f"/api/posts/{post.id}/retweet/")
    assert notifications() == [("alice", "bob", "retweet", post.id)]


def test_reply_notifies_the_parents_author_with_the_reply(act, alice, bob):
    post = PostFactory(author=alice)
    reply_id = act(bob, "post", "/api/posts/", {"content": "I agree", "reply_to": post.id}).json()["id"]
    assert notifications() == [("alice", "bob", "reply", reply_id)]


def test_reply_that_mentions_the_parents_author_notifies_them_once(act, alice, bob):
    UserFactory(username="carol")
    post = PostFactory(author=alice)
    content = "@alice @carol see this"
    reply_id = act(bob, "post", "/api/posts/", {"content": content, "reply_to": post.id}).json()["id"]
    assert notifications() == [("alice", "bob", "reply", reply_id), ("carol", "bob", "mention", reply_id)]
    act(bob, "patch", f"/api/posts/{reply_id}/", {"content": content + " again @alice"})
    assert len(notifications()) == 2


def test_mention_notifies_each_mentioned_user(act, alice, bob):
    post_id = act(bob, "post", "/api/posts/", {"content": "hi @alice and @ALICE and @nobody"}).json()["id"]
    assert notifications() == [("alice", "bob", "mention", post_id)]


def test_edit_notifies_only_newly_mentioned_users(act, alice, bob):
    carol = UserFactory(username="carol")
    post_id = act(bob, "post", "/api/posts/", {"content": "hi @alice"}).json()["id"]
    act(bob, "put", f"/api/posts/{post_id}/", {"content": "hi @alice and @carol"})
    assert notifications() == [("alice", "bob", "mention", post_id), ("carol", "bob", "mention", post_id)]
    # Removing and adding a mention back does not notify again.
    act(bob, "put", f"/api/posts/{post_id}/", {"content": "hi"})
    act(bob, "put", f"/api/posts/{post_id}/", {"content": "hi @carol"})
    assert len(notifications(recipient=carol)) == 1


def test_nobody_is_notified_of_their_own_actions(act, alice):
    post = PostFactory(author=alice)
    act(alice, "post", f"/api/posts/{post.id}/like/")
    act(alice, "post", "/api/posts/", {"content": "talking to myself @alice", "reply_to": post.id})
    own_id = act(alice, "post", "/api/posts/", {"content": "me, @alice"}).json()["id"]
    act(alice, "put", f"/api/posts/{own_id}/", {"content": "still me, @Alice"})
    assert notifications() == []


def test_deleting_a_post_removes_its_notifications(act, alice, bob):
    post = PostFactory(author=alice)
    act(bob, "post", f"/api/posts/{post.id}/like/")
    reply_id = act(bob, "post", "/api/posts/", {"content": "@alice hi", "reply_to": post.id}).json()["id"]
    act(alice, "post", f"/api/users/{bob.id}/follow/")
    assert len(notifications()) == 3
    act(bob, "delete", f"/api/posts/{reply_id}/")
    assert notifications() == [("alice", "bob", "like", post.id), ("bob", "alice", "follow", None)]
    act(alice, "delete", f"/api/posts/{post.id}/")
    assert notifications() == [("bob", "alice", "follow", None)]


def test_running_a_task_twice_creates_nothing_new(alice, bob):
    post = PostFactory(author=alice, content="@bob hello")
    reply = PostFactory(author=bob, content="@alice yes", reply_to=post)
    follow = Follow.objects.create(follower=bob, followee=alice)
    like = Like.objects.create(user=bob, post=post)
    retweet = Retweet.objects.create(user=bob, post=post)
    runs = [
        lambda: tasks.notify_follow_task.delay(follow_id=follow.id),
        lambda: post_tasks.notify_like_task.delay(like_id=like.id),
        lambda: post_tasks.notify_retweet_task.delay(retweet_id=retweet.id),
        lambda: post_tasks.notify_post_task.delay(post_id=post.id, mentioned_ids=[bob.id]),
        lambda: post_tasks.notify_post_task.delay(post_id=reply.id, mentioned_ids=[alice.id]),
    ]
    for run in runs:
        run()
    first = notifications()
    assert len(first) == 5
    for run in runs:
        run()
    assert notifications() == first


def test_a_task_for_a_vanished_row_does_nothing(alice, bob):
    post = PostFactory(author=alice)
    like = Like.objects.create(user=bob, post=post)
    like_id = like.id
    like.delete()
    assert post_tasks.notify_like_task.delay(like_id=like_id).successful()
    assert tasks.notify_follow_task.delay(follow_id=999999).successful()
    assert post_tasks.notify_post_task.delay(post_id=999999, mentioned_ids=[alice.id]).successful()
    assert notifications() == []


def test_mentions_of_many_users_are_inserted_in_one_statement(bob):
    users = UserFactory.create_batch(12)
    post = PostFactory(author=bob, content=" ".join(f"@{u.username}" for u in users))
    with CaptureQueriesContext(connection) as queries:
        post_tasks.notify_post_task.delay(post_id=post.id, mentioned_ids=[u.id for u in users])
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "notifications_notification" in inserts[0]
    # post, mentions, existing ones, savepoint, insert, the new ids (to push them), release
    assert len(queries.captured_queries) <= 8
    assert sorted(notifications(type="mention")) == sorted((u.username, "bob", "mention", post.id) for u in users)
