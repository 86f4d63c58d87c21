"""The real path: a Celery worker on the Redis broker creates the notifications of real API actions
and emails the follow to an SMTP sink; a worker killed in the middle of a task is replaced and the
task runs again without duplicating anything."""

import re

import factory
import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.tasks import notify_follow_task
from outbox.models import OutboxTask
from tests.support import SMTPSink, message_text, wait_for
from users.models import Follow
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def client(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def call(user, method, path, data=None, status=(200, 201)):
    response = getattr(client(user), method)(path, data, format="json")
    assert response.status_code in status, response.content
    return response.json()


def test_a_live_worker_notifies_every_type_and_emails_the_new_follower(live_services):
    alice = UserFactory(username="alice", email="alice@example.com")
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    UserFactory.create_batch(2, username=factory.Iterator(["dave", "erin"]))
    with SMTPSink() as sink, live_services.celery_worker(extra_env=sink.env):
        post = call(alice, "post", "/api/posts/", {"content": "hello world"})["id"]
        call(bob, "post", f"/api/users/{alice.id}/follow/", status=(201,))
        call(bob, "post", f"/api/posts/{post}/like/")
        call(bob, "post", f"/api/posts/{post}/retweet/")
        reply = call(bob, "post", "/api/posts/", {"content": "@alice so true", "reply_to": post})["id"]
        mention = call(carol, "post", "/api/posts/", {"content": "@alice @bob @dave look"})["id"]
        draft = call(carol, "post", "/api/posts/", {"content": "a draft"})["id"]
        call(carol, "patch", f"/api/posts/{draft}/", {"content": "a draft for @erin"})
        wait_for(lambda: Notification.objects.count() >= 8 and sink.messages, timeout=30)
    rows = set(Notification.objects.values_list("recipient__username", "actor__username", "type", "post_id"))
    assert rows == {
        ("alice", "bob", "follow", None),
        ("alice", "bob", "like", post),
        ("alice", "bob", "retweet", post),
        ("alice", "bob", "reply", reply),
        ("alice", "carol", "mention", mention),
        ("bob", "carol", "mention", mention),
        ("dave", "carol", "mention", mention),
        ("erin", "carol", "mention", draft),
    }
    listed = call(alice, "get", "/api/notifications/")["results"]
    assert [n["type"] for n in listed] == ["mention", "reply", "retweet", "like", "follow"]
    assert call(alice, "get", "/api/notifications/unread_count/") == {"unread_count": 5}
    [message] = sink.messages
    assert message["To"] == "alice@example.com"
    assert "followed you" in message["Subject"]
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    assert "(@bob) is now following you" in message_text(message)


def test_a_task_interrupted_by_a_killed_worker_runs_again_without_duplicates(live_services):
    alice = UserFactory(email="alice@example.com")
    bob = UserFactory()
    broker = redis.Redis.from_url(settings.REDIS_URL)
    with SMTPSink(hold_first=True) as sink:
        with live_services.celery_worker(extra_env=sink.env) as first:
            call(bob, "post", f"/api/users/{alice.id}/follow/", status=(201,))
            # The worker is inside the email task, waiting for the SMTP server to answer.
            assert sink.held.wait(timeout=30), first.log_text()
            first.kill()
            assert first.wait(timeout=10) == -9  # SIGKILL: no warm shutdown, nothing handed back
            assert len(re.findall(r"notifications\.send_follow_email\[\S+\] received", first.log_text())) == 1
        sink.release()
        notification = Notification.objects.get()
        assert notification.emailed_at is None and sink.messages == []
        # The task was taken but never acknowledged: it stays with the broker.
        assert broker.hlen("unacked") == 1

        # A new worker under the same name sends again at once what the killed one was running
        # (the outbox; the broker itself would give the task back only after its visibility timeout).
        with live_services.celery_worker(extra_env=sink.env, purge=False) as second:
            wait_for(lambda: sink.messages, timeout=30)
            wait_for(lambda: Notification.objects.filter(emailed_at__isnull=False).exists(), timeout=10)
            # Sending the follow's task once more changes nothing either.
            notify_follow_task.delay(follow_id=Follow.objects.get().id)
            wait_for(lambda: re.search(r"notifications\.notify_follow\[\S+\] succeeded", second.log_text()), timeout=10)
            log = second.log_text()
    # The email task ran again on the new worker and sent the email.
    [again] = re.findall(r"notifications\.send_follow_email\[(\S+)\] received", log)
    assert f"notifications.send_follow_email[{again}] succeeded" in log
    assert not OutboxTask.objects.exists()
    assert sink.attempts == 2  # the interrupted send and the redelivered one
    assert len(sink.messages) == 1
    assert Notification.objects.count() == 1
