"""Faults: Redis down, the database gone and back, without a process restart."""

import contextlib
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, close_old_connections, connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from mini_twitter.celery import app as celery_app
from notifications.models import Notification
from outbox.models import OutboxTask
from outbox.services import outbox_drain
from posts.tests.factories import PostFactory
from tests.support import skip_unless_available
from users.tests.factories import UserFactory

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings, monkeypatch):
    """Cache, throttles, channel layer and Celery broker all pointing at a Redis that isn't there."""
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHE_REDIS_URLS = settings.CHANNEL_REDIS_URLS = [DEAD_REDIS]
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "KEY_PREFIX": "mt",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, "IGNORE_EXCEPTIONS": True},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [DEAD_REDIS]}}
    }
    previous = {"task_always_eager": celery_app.conf.task_always_eager, "broker_url": celery_app.conf.broker_url}
    celery_app.conf.update(task_always_eager=False, broker_url=DEAD_REDIS)
    # Fresh connection and producer pools, on the dead broker.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    yield
    celery_app.conf.update(**previous)


@pytest.mark.django_db(transaction=True)
def test_reads_and_writes_work_with_redis_down_and_readyz_says_so(redis_down):
    author, fan = UserFactory(), UserFactory()
    post = PostFactory(author=author)
    client = APIClient()
    login = client.post("/api/users/token/", {"username": fan.username, "password": "correct-horse-battery-staple"})
    assert login.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert client.post(f"/api/users/{author.id}/follow/").status_code == 201
    assert client.post(f"/api/posts/{post.id}/like/").status_code == 200
    assert client.post("/api/posts/", {"content": f"hello @{author.username}"}, format="json").status_code == 201
    assert [item["id"] for item in client.get("/api/posts/feed/").json()["results"]][-1] == post.id
    assert client.get("/api/posts/trending_hashtags/").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}
    # The tasks could not be queued: the requests did not wait for them, and the outbox owes them,
    # due at once for the first drain after the broker is back (run inline here).
    assert not Notification.objects.exists()
    assert OutboxTask.objects.filter(due_at__lte=timezone.now()).count() == OutboxTask.objects.count() >= 3
    celery_app.conf.update(task_always_eager=True)
    outbox_drain()
    assert set(Notification.objects.filter(recipient=author).values_list("type", flat=True)) == {
        "follow",
        "like",
        "mention",
    }


@pytest.mark.django_db
def test_database_errors_fail_cleanly_with_503(auth_client):
    with mock.patch("posts.views.selectors.post_list", side_effect=OperationalError("server closed the connection")):
        response = auth_client.get("/api/posts/")
    assert response.status_code == 503
    assert response.json() == {"detail": "The service is temporarily unavailable; try again shortly."}
    assert response["Retry-After"] == "5"
    assert auth_client.get("/api/posts/").status_code == 200


@pytest.mark.django_db
def test_database_errors_in_the_microblog_api_are_a_503_envelope(user):
    from rest_framework.test import APIClient

    from users.services import api_key_create

    _, key = api_key_create(user=user, name="faults")
    client = APIClient(headers={"api-key": key})
    with mock.patch("microblog.views.selectors.tweet_list_feed", side_effect=OperationalError("gone")):
        response = client.get("/api/tweets")
    assert response.status_code == 503
    assert response.json() == {
        "result": False,
        "error_type": "ServiceUnavailable",
        "error_message": "The service is temporarily unavailable; try again shortly.",
    }
    assert response["Retry-After"] == "5"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not django_settings.IS_POSTGRES, reason="terminates a PostgreSQL backend")
def test_a_dropped_database_connection_recovers_without_a_restart():
    import psycopg

    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    assert client.get("/api/users/me/").status_code == 200
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The first request on the dead connection fails cleanly (503, not a crash or a hang) ...
    failed = client.get("/api/users/me/")
    assert failed.status_code == 503 and failed["Retry-After"] == "5"
    # ... and Django drops the unusable connection at the request boundary (the test client skips
    # that signal, so it is called here as the real handler does), so the next request reconnects.
    close_old_connections()
    assert client.get("/api/users/me/").status_code == 200


@contextlib.contextmanager
def pool_exhausted(monkeypatch):
    """Every connection of PostgreSQL's pool held elsewhere; a checkout waits 0.5 s, then fails."""
    skip_unless_available(
        None if django_settings.DATABASE_POOL else "no connection pool (DATABASE_URL is not PostgreSQL)",
        "PostgreSQL's connection pool",
    )
    connection.close()  # this thread's connection goes back to the pool
    pool = connection.pool
    monkeypatch.setattr(pool, "timeout", 0.5)  # DATABASE_POOL_TIMEOUT
    held = [pool.getconn() for _ in range(pool.max_size)]
    try:
        yield
    finally:
        for held_connection in held:
            pool.putconn(held_connection)


@pytest.mark.django_db(transaction=True)
def test_a_request_that_finds_the_connection_pool_exhausted_answers_503_without_hanging(monkeypatch):
    client = APIClient(headers={"Authorization": f"Bearer {AccessToken.for_user(UserFactory())}"})
    with pool_exhausted(monkeypatch):
        started = time.monotonic()
        response = client.get("/api/users/me/")
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {"detail": "The service is temporarily unavailable; try again shortly."}
    assert response["Retry-After"] == "5"
    assert 0.5 <= waited < 3
    assert client.get("/api/users/me/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_admin_answers_503_with_retry_after_when_the_connection_pool_is_exhausted(monkeypatch):
    """The database fails outside DRF (the session and authentication middleware, the login form):
    the same JSON 503 with ``Retry-After`` as the API's, not a 500."""
    staff = UserFactory(password="s3cret-Passw0rd")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff_client = Client(raise_request_exception=False)
    staff_client.force_login(staff)
    anonymous = Client(raise_request_exception=False)
    with pool_exhausted(monkeypatch):
        responses = [
            staff_client.get("/admin/"),
            anonymous.post("/admin/login/", {"username": staff.username, "password": "s3cret-Passw0rd"}),
        ]
    for response in responses:
        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "The service is temporarily unavailable; try again shortly."}
        assert response["Retry-After"] == "5"
    assert staff_client.get("/admin/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_post_made_while_redis_is_down_reaches_the_surviving_timelines_once_it_is_back(settings, monkeypatch):
    """Redis (timelines and broker) goes away and comes back with its data: the post made meanwhile
    is owed to the outbox and reaches the follower's timeline, which had survived without it."""
    from outbox.models import OutboxTask
    from outbox.services import outbox_drain
    from posts.feed import timelines
    from posts.tests.conftest import use_feed_backend
    from tests.support import redis_unavailable_reason, skip_unless_available

    skip_unless_available(redis_unavailable_reason(), "Redis for the timelines")
    use_feed_backend(settings, "redis")
    live_redis = settings.REDIS_URL
    author, fan = UserFactory(), UserFactory()
    fan_client = APIClient()
    fan_client.force_authenticate(fan)
    assert fan_client.post(f"/api/users/{author.id}/follow/").status_code == 201
    assert fan_client.get("/api/posts/feed/").status_code == 200
    assert timelines.client().hexists(timelines.home_keys(fan.id)[1], "_b")  # the fan's timeline is built

    eager, broker_url = celery_app.conf.task_always_eager, celery_app.conf.broker_url
    celery_app.conf.update(task_always_eager=False, broker_url=DEAD_REDIS)
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    settings.REDIS_URL = DEAD_REDIS
    try:
        author_client = APIClient()
        author_client.force_authenticate(author)
        created = author_client.post("/api/posts/", {"content": "said during the outage"}, format="json")
        assert created.status_code == 201
        assert OutboxTask.objects.filter(name="posts.timeline_entry_add").count() == 1
    finally:
        settings.REDIS_URL = live_redis
        celery_app.conf.update(task_always_eager=eager, broker_url=broker_url)
    post_id = created.json()["id"]
    # Redis is back with its data: the fan's timeline is still there, without the post.
    assert timelines.client().zscore(timelines.home_keys(fan.id)[0], post_id) is None
    OutboxTask.objects.update(due_at=timezone.now())
    assert outbox_drain() == 1  # the beat's drain (tasks run inline here, as a worker would run them)
    assert timelines.client().zscore(timelines.home_keys(fan.id)[0], post_id) is not None
    assert fan_client.get("/api/posts/feed/").json()["results"][0]["id"] == post_id
    assert not OutboxTask.objects.exists()
