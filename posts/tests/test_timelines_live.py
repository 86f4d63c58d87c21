"""Fan-out on write with a real Celery worker: a post split into batch tasks reaches every follower's
timeline, and a worker killed in the middle of a fan-out is replaced by one that finishes it, every
follower ending with the post exactly once."""

import re

import pytest
import redis
from django.conf import settings

from outbox.models import OutboxTask
from posts.feed import timelines
from tests.support import wait_for
from users.models import Follow, Profile
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live, pytest.mark.usefixtures("redis_feed")]

TAKEOVER = {
    "CELERY_VISIBILITY_TIMEOUT": "1",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
    "CELERY_UNACKED_RESTORE_THROTTLE": "1",
}


def author_with_active_followers(count: int):
    author = UserFactory()
    followers = UserFactory.create_batch(count)
    Follow.objects.bulk_create([Follow(follower=f, followee=author) for f in followers])
    Profile.objects.filter(pk=author.pk).update(followers_count=count)
    for follower in followers:  # as if each had read their feed lately
        timelines.rebuild_home(follower.id)
    return author, followers


def holding(post_id: int, users) -> list[int]:
    conn = timelines.client()
    pipe = conn.pipeline(transaction=False)
    for user in users:
        pipe.zscore(timelines.home_keys(user.id)[0], post_id)
    return [user.id for user, score in zip(users, pipe.execute(), strict=True) if score is not None]


def feed_count(client_for, user, post_id: int) -> int:
    response = client_for(user).get("/api/posts/feed/")
    assert response.status_code == 200
    return [item["id"] for item in response.json()["results"]].count(post_id)


def in_flight(log: str) -> list[str]:
    """Fan-out tasks the worker took and had not finished, by its log."""
    received = re.findall(r"posts\.timeline_push\[(\S+)\] received", log)
    finished = re.findall(r"posts\.timeline_push\[(\S+)\] succeeded", log)
    return [task for task in received if task not in finished]


def test_a_live_worker_fans_a_post_out_in_batches(live_services, client_for):
    author, followers = author_with_active_followers(30)
    env = {"FEED_BACKEND": "redis", "TIMELINE_FANOUT_BATCH": "7"}
    with live_services.celery_worker(extra_env=env) as worker:
        post = client_for(author).post("/api/posts/", {"content": "to all of you"}, format="json").json()["id"]
        wait_for(lambda: len(holding(post, followers)) == 30, timeout=30)
        wait_for(lambda: len(re.findall(r"posts\.timeline_push\[\S+\] succeeded", worker.log_text())) == 5)
    assert all(feed_count(client_for, follower, post) == 1 for follower in followers)


def test_a_worker_killed_mid_fan_out_is_finished_by_another_and_each_follower_gets_the_post_once(
    live_services, client_for
):
    author, followers = author_with_active_followers(20)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    slow = {"FEED_BACKEND": "redis", "TIMELINE_FANOUT_BATCH": "5", "TIMELINE_FANOUT_BATCH_DELAY": "1.5"}
    with live_services.celery_worker(extra_env=slow) as first:
        post = client_for(author).post("/api/posts/", {"content": "interrupted"}, format="json").json()["id"]
        # The first batch is written and the worker has taken the next one (it sleeps 1.5 s in it).
        wait_for(lambda: len(holding(post, followers)) >= 5 and in_flight(first.log_text()), timeout=30)
        first.kill()
        assert first.wait(timeout=10) == -9
        log = first.log_text()
    interrupted = in_flight(log)
    assert interrupted, log
    assert len(holding(post, followers)) < 20
    assert broker.hlen("unacked") >= 1  # taken, never acknowledged

    with live_services.celery_worker(extra_env={**TAKEOVER, "FEED_BACKEND": "redis"}, purge=False) as second:
        wait_for(lambda: len(holding(post, followers)) == 20, timeout=30)
        # The broker gives the interrupted batch back: it runs, or is skipped when the outbox's
        # copy sent at the worker's start has done it already.
        done = re.compile(rf"posts\.timeline_push\[{interrupted[0]}\] (succeeded|ignored)")
        wait_for(lambda: done.search(second.log_text()), timeout=10)
    assert all(feed_count(client_for, follower, post) == 1 for follower in followers)
    assert broker.hlen("unacked") == 0


def test_a_restarted_worker_sends_again_at_once_what_it_was_running_when_killed(live_services, client_for):
    """No waiting for the broker's visibility timeout (300 s): the outbox knows what the killed
    worker had started, and the worker sends it again as it starts under the same name."""
    author, followers = author_with_active_followers(20)
    slow = {"FEED_BACKEND": "redis", "TIMELINE_FANOUT_BATCH": "5", "TIMELINE_FANOUT_BATCH_DELAY": "1.5"}
    with live_services.celery_worker(extra_env=slow) as first:
        post = client_for(author).post("/api/posts/", {"content": "interrupted"}, format="json").json()["id"]
        # A batch is running: the outbox has it marked as this worker's (a task killed between its
        # receipt and that mark waits for OUTBOX_RESEND_QUEUED_SECONDS instead).
        wait_for(
            lambda: (
                len(holding(post, followers)) >= 5
                and OutboxTask.objects.filter(name="posts.timeline_push").exclude(worker="").exists()
            ),
            timeout=30,
        )
        first.kill()
        assert first.wait(timeout=10) == -9
    assert len(holding(post, followers)) < 20
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] >= 300

    with live_services.celery_worker(extra_env={"FEED_BACKEND": "redis"}, purge=False):
        wait_for(lambda: len(holding(post, followers)) == 20, timeout=30)
    assert all(feed_count(client_for, follower, post) == 1 for follower in followers)
