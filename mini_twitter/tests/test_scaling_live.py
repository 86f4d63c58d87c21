"""The scaled-out services for real: the cache and the channel layer sharded over two Redis servers
(started here, under a temporary directory), and a Celery worker on RabbitMQ's quorum queues,
retries with a countdown included. Skipped without redis-server or RabbitMQ, except in CI."""

import itertools
import json
import os
import time

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django.core.cache import cache
from kombu import Connection, Queue

from mini_twitter.celery import app as celery_app
from mini_twitter.settings.scaling import cache_config, channel_layer_config
from notifications.models import Notification
from outbox.models import OutboxTask
from realtime.events import push, user_group
from tests.support import skip_unless_available, wait_for
from tests.support.brokers import (
    amqp_unavailable_reason,
    amqp_url,
    celery_on_broker,
    redis_server_unavailable_reason,
    redis_servers,
)
from tests.support.sockets import open_socket, receive_type
from users.tests.factories import UserFactory

EVENTS = "/ws/events/"
# django-redis's sharding client warns when it is handed a client: ours never is.
pytestmark = pytest.mark.filterwarnings("error:.*on sharded client:UserWarning")


@pytest.fixture(scope="module")
def shard_urls(tmp_path_factory):
    skip_unless_available(redis_server_unavailable_reason(), "redis-server (two cache shards)")
    with redis_servers(2, tmp_path_factory.mktemp("shards")) as urls:
        yield urls


@pytest.fixture
def sharded_cache(settings, shard_urls):
    settings.CACHES = {"default": cache_config(shard_urls)}
    yield [redis.Redis.from_url(url) for url in shard_urls]
    cache.clear()


def test_the_cache_spreads_keys_over_both_servers_and_finds_each_again(sharded_cache):
    values = {f"key:{i}": {"i": i} for i in range(200)}
    cache.set_many(values, 60)
    assert all(server.dbsize() > 40 for server in sharded_cache)  # both hold a share
    assert sum(server.dbsize() for server in sharded_cache) == 200  # each key once
    assert cache.get_many([*values, "missing"]) == values
    assert cache.get("key:7") == {"i": 7} and cache.get("missing", "default") == "default"
    cache.delete_many([f"key:{i}" for i in range(100)])
    assert cache.get_many(list(values)) == {f"key:{i}": {"i": i} for i in range(100, 200)}
    assert cache.delete("key:150") is True and cache.get("key:150") is None
    assert cache.add("key:151", "other") is False and cache.add("new", "value") is True
    assert cache.has_key("new") and not cache.has_key("key:150")
    cache.set("new", "gone", 0)  # a timeout of 0 deletes
    cache.set("new", "value")
    cache.delete_pattern("key:*")  # on every server
    assert cache.get_many(list(values)) == {} and cache.get("new") == "value"


def test_counters_locks_and_expiry_work_on_whichever_server_holds_the_key(sharded_cache):
    for i in range(10):
        cache.set(f"count:{i}", 0, 60)
        assert cache.incr(f"count:{i}", 5) == 5 and cache.decr(f"count:{i}") == 4
    with pytest.raises(ValueError, match="not found"):
        cache.incr("no-such-counter")
    assert cache.touch("count:1", 100) is True and 90 < cache.ttl("count:1") <= 100
    for i in range(10):
        lock = cache.lock(f"lock:{i}", timeout=5)
        assert lock.acquire(blocking=False)
        assert not cache.lock(f"lock:{i}", timeout=5).acquire(blocking=False)  # held, whichever server
        lock.release()
        assert cache.lock(f"lock:{i}", timeout=5).acquire(blocking=False)


def test_a_hash_tag_keeps_keys_together(sharded_cache):
    cache.set_many({f"{{user:1}}:item:{i}": i for i in range(20)}, 60)
    assert sorted(server.dbsize() for server in sharded_cache) == [0, 20]


@pytest.mark.django_db(transaction=True)  # the cache is invalidated on commit
def test_the_api_reads_and_invalidates_through_the_sharded_cache(sharded_cache, client_for):
    author, reader = UserFactory(), UserFactory()
    client_for(reader).post(f"/api/users/{author.id}/follow/")
    created = [client_for(author).post("/api/posts/", {"content": f"post {i}"}).json()["id"] for i in range(5)]
    first = client_for(reader).get("/api/posts/feed/").json()["results"]
    assert [post["id"] for post in first] == created[::-1]
    client_for(reader).post(f"/api/posts/{created[0]}/like/")
    again = client_for(reader).get("/api/posts/feed/").json()["results"]
    assert [post["is_liked"] for post in again] == [False] * 4 + [True]
    assert sum(server.dbsize() for server in sharded_cache) > 0


def test_with_one_server_down_its_keys_miss_and_the_others_still_work(settings, shard_urls):
    settings.CACHES = {"default": cache_config([shard_urls[0], "redis://127.0.0.1:1/0"])}
    keys = [f"key:{i}" for i in range(50)]
    cache.set_many(dict.fromkeys(keys, 1), 60)  # no error
    for key in keys:
        cache.set(key, 1, 60)
    found = {key for key in keys if cache.get(key) == 1}
    assert 0 < len(found) < 50  # those on the live server
    assert cache.get_many(keys) == dict.fromkeys(found, 1)  # the live server's keys
    cache.delete_many(keys)
    assert cache.get_many(keys) == {}


@pytest.mark.django_db
def test_readyz_pings_each_cache_and_channel_server_and_the_broker(settings, shard_urls, api_client):
    settings.CACHE_REDIS_URLS = settings.CHANNEL_REDIS_URLS = shard_urls
    settings.CELERY_BROKER_KIND, settings.CELERY_TASK_ALWAYS_EAGER = "amqp", False
    settings.CELERY_BROKER_URL = url = amqp_url()
    skip_unless_available(amqp_unavailable_reason(url), "RabbitMQ")
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert {name: response.json()["checks"][name] for name in ("cache", "channels", "broker")} == dict.fromkeys(
        ("cache", "channels", "broker"), "ok"
    )
    settings.CACHE_REDIS_URLS = [shard_urls[0], "redis://127.0.0.1:1/0"]
    response = api_client.get("/readyz")
    assert (response.status_code, response.json()["status"], response.json()["checks"]["cache"]) == (
        200,
        "degraded",
        "unavailable",
    )


@pytest.mark.django_db(transaction=True)
def test_events_reach_sockets_whose_groups_live_on_either_server(settings, shard_urls):
    settings.CHANNEL_LAYERS = {"default": channel_layer_config(shard_urls, prefix=f"mt-test-{os.getpid()}")}
    channel_layers.backends.clear()
    layer = get_channel_layer()
    users = [UserFactory()]
    while len({layer.consistent_hash(user_group(user.id)) for user in users}) < 2:
        users.append(UserFactory())

    servers = [redis.Redis.from_url(url) for url in shard_urls]

    def send() -> None:
        # Each server holds some of the users' groups while their sockets are open.
        assert all(server.keys("*group*") for server in servers)
        for user in users:
            push([user.id], "hello", {"to": user.id})

    async def scenario():
        sockets = {}
        for user in users:
            sockets[user.id] = await open_socket(EVENTS, user)
            await receive_type(sockets[user.id], "unread_count")
        await sync_to_async(send)()
        for user in users:
            frame = await receive_type(sockets[user.id], "hello")
            assert frame == {"type": "hello", "data": {"to": user.id}}
            await sockets[user.id].disconnect()

    async_to_sync(scenario)()


# --- Celery on RabbitMQ ---------------------------------------------------------------------------


@pytest.fixture
def rabbitmq(live_services):
    url = amqp_url()
    skip_unless_available(amqp_unavailable_reason(url), "RabbitMQ")
    names = {"default_queue": f"mt-test-{os.getpid()}-default", "email_queue": f"mt-test-{os.getpid()}-email"}
    with celery_on_broker(celery_app, url, **names):
        yield url


def notes(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_rabbitmq_quorum_queues_runs_tasks_and_delays_retries(rabbitmq, live_services, tmp_path):
    log = tmp_path / "notes.jsonl"
    with live_services.celery_worker(extra_env={"TEST_BROKER_TASKS": "1"}, pool="prefork") as worker:
        # The queues are quorum queues: declaring one as a classic queue is refused.
        with Connection(rabbitmq) as connection:
            classic = Queue(celery_app.conf.task_default_queue, queue_arguments={"x-queue-type": "classic"})
            with pytest.raises(Exception, match="PRECONDITION_FAILED"):
                classic.bind(connection.channel()).declare()

        celery_app.send_task(
            "tests.fail_then_succeed", kwargs={"path": str(log), "value": "flaky", "failures": 3, "countdown": 1}
        )
        wait_for(lambda: notes(log), timeout=20)
        celery_app.send_task("tests.note", kwargs={"path": str(log), "value": "quick"})
        wait_for(lambda: len([n for n in notes(log) if n["value"] == "flaky"]) == 4, timeout=30)

        runs = notes(log)
        flaky = [n for n in runs if n["value"] == "flaky"]
        # Retried three times: a retry of a retry goes through the delay queues again (RabbitMQ
        # before 4.0.1 drops a message it sees dead-lettered in a cycle unless Celery strips its
        # x-death headers, as 5.7 does).
        assert [n["retries"] for n in flaky] == [0, 1, 2, 3]
        # Each retry waited its countdown in RabbitMQ (its delay queues), not in the worker: the
        # task sent after the first failure ran before the first retry.
        assert all(0.9 <= later["at"] - earlier["at"] < 5 for earlier, later in itertools.pairwise(flaky))
        assert [n["value"] for n in runs].index("quick") < runs.index(flaky[1])
        # A retry comes back through the delayed-delivery exchanges: a routing key of 28 delay bits.
        assert flaky[1]["routing_key"].endswith(celery_app.conf.task_default_queue)
        assert flaky[1]["routing_key"].count(".") >= 28

        # The application's own tasks through the outbox: a follow's notification.
        alice, bob = UserFactory(), UserFactory()
        from rest_framework.test import APIClient

        api = APIClient()
        api.force_authenticate(bob)
        assert api.post(f"/api/users/{alice.id}/follow/").status_code == 201
        wait_for(lambda: Notification.objects.filter(recipient=alice, type="follow").exists(), timeout=20)
        wait_for(lambda: not OutboxTask.objects.exists(), timeout=20)
        time.sleep(0.2)
    text = worker.log_text()
    assert "direct exchange" not in text and "Traceback" not in text, text
