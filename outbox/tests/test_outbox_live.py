"""The outbox with a real Celery worker on the Redis broker: work owed by acknowledged writes
survives a broker that loses its queues."""

import pytest
from django.utils import timezone

from mini_twitter.celery import app as celery_app
from notifications.models import Notification
from outbox.models import OutboxTask
from posts.tests.factories import PostFactory
from tests.support import wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


def test_likes_acknowledged_before_the_broker_lost_its_queues_still_notify(live_services, client_for, settings):
    settings.OUTBOX_RESEND_QUEUED_SECONDS = 1
    author = UserFactory()
    fans = UserFactory.create_batch(5)
    post = PostFactory(author=author)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # to the broker, where no worker takes them yet
    try:
        for fan in fans:
            assert client_for(fan).post(f"/api/posts/{post.id}/like/").status_code == 200
    finally:
        celery_app.conf.task_always_eager = eager
    assert OutboxTask.objects.filter(name="notifications.notify_like").count() == 5
    # Redis restarted without its data: the queued tasks are gone.
    live_services.purge((settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_EMAIL_QUEUE))
    assert not Notification.objects.exists()
    # The rows fall due (OUTBOX_RESEND_QUEUED_SECONDS after they were queued) before the worker's
    # start-up drain looks, as they would long before a restarted Redis came back.
    wait_for(lambda: not OutboxTask.objects.filter(due_at__gt=timezone.now()).exists(), timeout=10)

    # A worker starts and drains what is owed (beat would too, every OUTBOX_DRAIN_SECONDS).
    with live_services.celery_worker(extra_env={"OUTBOX_RESEND_QUEUED_SECONDS": "1"}, purge=False):
        wait_for(lambda: Notification.objects.filter(recipient=author, type="like").count() == 5, timeout=30)
        wait_for(lambda: not OutboxTask.objects.exists(), timeout=10)
    assert set(Notification.objects.values_list("actor_id", flat=True)) == {fan.id for fan in fans}
