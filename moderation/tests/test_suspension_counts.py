"""The stored counters count active accounts only: suspending uncounts the account's follows,
likes, retweets and replies in others' counters, unsuspending counts them again, exactly."""

import pytest
from django.contrib.auth import get_user_model

from moderation.services import post_delete_by_staff, user_suspend, user_unsuspend
from posts.models import Post
from posts.services import like_delete, retweet_delete
from posts.tests.factories import PostFactory
from users.models import Profile
from users.services import block_create, follow_delete
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def counts(client, post_id: int) -> tuple[int, int, int]:
    body = client.get(f"/api/posts/{post_id}/").json()
    return body["likes_count"], body["retweets_count"], body["replies_count"]


def profile_counts(client, user_id: int) -> tuple[int, int]:
    body = client.get(f"/api/users/profiles/{user_id}/").json()
    return body["followers_count"], body["following_count"]


@pytest.fixture
def scene(client_for, django_capture_on_commit_callbacks):
    """``spammer`` follows ``a``, is followed by ``b``, liked, retweeted and replied to ``c``'s post,
    which ``b`` liked, retweeted and replied to too."""
    staff, spammer, a, b, c = UserFactory(is_staff=True), UserFactory(), UserFactory(), UserFactory(), UserFactory()
    post = PostFactory(author=c)
    with django_capture_on_commit_callbacks(execute=True):
        for actor in (spammer, b):
            client = client_for(actor)
            assert client.post(f"/api/posts/{post.pk}/like/").status_code == 200
            assert client.post(f"/api/posts/{post.pk}/retweet/").status_code in (200, 201)
            reply = client.post("/api/posts/", {"content": "a reply", "reply_to": post.pk}, format="json")
            assert reply.status_code == 201
        assert client_for(spammer).post(f"/api/users/{a.pk}/follow/").status_code in (200, 201)
        assert client_for(b).post(f"/api/users/{spammer.pk}/follow/").status_code in (200, 201)
        assert client_for(b).post(f"/api/users/{a.pk}/follow/").status_code in (200, 201)
    return staff, spammer, a, b, c, post


def test_suspending_uncounts_and_unsuspending_recounts_exactly(scene, client_for, django_capture_on_commit_callbacks):
    staff, spammer, a, b, c, post = scene
    viewer = client_for(c)
    assert counts(viewer, post.pk) == (2, 2, 2)  # cached now
    assert profile_counts(viewer, a.pk) == (2, 0)
    assert profile_counts(viewer, b.pk) == (0, 2)

    with django_capture_on_commit_callbacks(execute=True):
        assert user_suspend(user=spammer, by=staff) is True

    assert counts(viewer, post.pk) == (1, 1, 1)
    assert profile_counts(viewer, a.pk) == (1, 0)
    assert profile_counts(viewer, b.pk) == (0, 1)

    with django_capture_on_commit_callbacks(execute=True):
        assert user_unsuspend(user=spammer, by=staff) is True

    assert counts(viewer, post.pk) == (2, 2, 2)
    assert profile_counts(viewer, a.pk) == (2, 0)
    assert profile_counts(viewer, b.pk) == (0, 2)
    assert profile_counts(viewer, spammer.pk) == (1, 1)  # its own counters were never touched


def test_the_admin_path_recounts_too(scene, django_capture_on_commit_callbacks):
    """A deactivation saved through ``User.save`` (as the user admin does) recounts as well."""
    _, spammer, a, b, _, post = scene
    user = get_user_model().objects.get(pk=spammer.pk)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count, post.replies_count) == (1, 1, 1)
    assert Profile.objects.get(pk=a.pk).followers_count == 1
    assert Profile.objects.get(pk=b.pk).following_count == 1
    user.is_active = True
    user.save()
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count, post.replies_count) == (2, 2, 2)
    assert Profile.objects.get(pk=a.pk).followers_count == 2


def test_staff_deleting_a_suspended_users_reply_keeps_the_parents_count(
    scene, client_for, django_capture_on_commit_callbacks
):
    staff, spammer, _, _, c, post = scene
    spammer_reply = Post.objects.get(author=spammer, reply_to=post)
    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user=spammer, by=staff)
        post_delete_by_staff(post=spammer_reply, by=staff, note="spam")
    assert counts(client_for(c), post.pk) == (1, 1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        user_unsuspend(user=spammer, by=staff)
    assert counts(client_for(c), post.pk) == (2, 2, 1)  # the deleted reply stays gone


def test_counters_never_go_negative_when_a_suspended_users_things_go(scene, django_capture_on_commit_callbacks):
    """Follows of a suspended account undone by a block, or by staff, leave the counters as they
    are: they were uncounted at suspension."""
    staff, spammer, a, b, c, post = scene
    b_only = UserFactory()  # suspend b too: the post's counts then drop to zero
    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user=spammer, by=staff)
        user_suspend(user=b, by=staff)
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count, post.replies_count) == (0, 0, 0)
    assert Profile.objects.get(pk=a.pk).followers_count == 0

    a = get_user_model().objects.get(pk=a.pk)
    spammer = get_user_model().objects.get(pk=spammer.pk)
    block_create(blocker=a, blocked=spammer)  # removes spammer → a
    follow_delete(follower=get_user_model().objects.get(pk=b.pk), followee=a)
    assert Profile.objects.get(pk=a.pk).followers_count == 0
    for profile in Profile.objects.filter(pk__in=[spammer.pk, a.pk, b.pk, c.pk, b_only.pk]):
        assert profile.followers_count >= 0 and profile.following_count >= 0

    with django_capture_on_commit_callbacks(execute=True):
        user_unsuspend(user=spammer, by=staff)
        user_unsuspend(user=b, by=staff)
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count, post.replies_count) == (2, 2, 2)
    assert Profile.objects.get(pk=a.pk).followers_count == 0  # both follows are gone
    assert Profile.objects.get(pk=b.pk).following_count == 1  # b still follows spammer


def test_a_suspended_users_like_and_retweet_removed_leave_the_counts(scene, django_capture_on_commit_callbacks):
    staff, spammer, _, _, _, post = scene
    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user=spammer, by=staff)
    spammer = get_user_model().objects.get(pk=spammer.pk)
    assert like_delete(user=spammer, post=post) is True
    assert retweet_delete(user=spammer, post=post) is True
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        user_unsuspend(user=spammer, by=staff)
    post.refresh_from_db()
    assert (post.likes_count, post.retweets_count, post.replies_count) == (1, 1, 2)
