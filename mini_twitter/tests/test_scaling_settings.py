"""The settings of the sharded cache and channel layer and of the Celery broker, from their URLs
(mini_twitter/settings/scaling.py), and the settings modules built on them."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mini_twitter.settings.scaling import (
    broker_kind,
    broker_transport_options,
    cache_config,
    channel_layer_config,
    split_urls,
    task_queues,
)

A, B, C = "redis://cache-a:6379/0", "redis://cache-b:6379/0", "rediss://cache-c:6380/1"
RABBIT = "amqp://mt:secret@rabbitmq:5672/mt"


def test_split_urls_reads_a_comma_separated_list_or_the_default():
    assert split_urls(f" {A} , {B},,{C} ", "", name="X") == [A, B, C]
    assert split_urls("", A, name="X") == [A]
    assert split_urls(None, A, name="X") == [A]
    assert split_urls(None, "", name="X") == []
    assert split_urls(" , ", "", name="X") == []


@pytest.mark.parametrize("value", ["http://cache:6379", "cache-a:6379", "redis+cluster://a:7000", f"{A},{A}"])
def test_split_urls_refuses_what_is_not_a_list_of_distinct_redis_servers(value):
    with pytest.raises(ImproperlyConfigured, match="CACHE_REDIS_URLS"):
        split_urls(value, "", name="CACHE_REDIS_URLS")


def test_one_cache_server_uses_the_default_client_and_several_the_sharding_one():
    single = cache_config([A])
    assert single["LOCATION"] == A
    assert single["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.DefaultClient"
    sharded = cache_config([A, B, C])
    # A list: with the default client, extra locations would be read replicas, not shards.
    assert sharded["LOCATION"] == [A, B, C]
    assert sharded["OPTIONS"]["CLIENT_CLASS"] == "mini_twitter.cache.ShardClient"
    for config in (single, sharded):
        assert config["BACKEND"] == "mini_twitter.observability.cache.RedisCache"
        assert config["OPTIONS"]["IGNORE_EXCEPTIONS"] is True
        assert config["KEY_PREFIX"] == "mt"


def test_the_channel_layer_gets_one_host_per_server():
    config = channel_layer_config([A, B], prefix="mt-asgi")
    assert config["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    assert [host["address"] for host in config["CONFIG"]["hosts"]] == [A, B]
    assert all(host["socket_timeout"] is None and host["socket_keepalive"] for host in config["CONFIG"]["hosts"])
    assert config["CONFIG"]["prefix"] == "mt-asgi"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (RABBIT, "amqp"),
        ("amqps://rabbitmq:5671//", "amqp"),
        ("pyamqp://guest@localhost//", "amqp"),
        ("redis://redis:6379/0", "redis"),
        ("rediss://redis:6380/0", "redis"),
        ("memory://", "memory"),
    ],
)
def test_broker_kind(url, kind):
    assert broker_kind(url) == kind


@pytest.mark.parametrize("url", ["sqs://", "http://rabbitmq", "rabbitmq:5672"])
def test_an_unsupported_broker_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL"):
        broker_kind(url)


def test_transport_options_are_each_brokers_own():
    options = {"visibility_timeout": 300, "unacked_restore_interval": 10, "unacked_restore_throttle": 10}
    assert broker_transport_options("amqp", **options) == {"confirm_publish": True}
    redis_options = broker_transport_options("redis", **options)
    assert redis_options["visibility_timeout"] == 300 and "confirm_publish" not in redis_options
    assert broker_transport_options("memory", **options) == {}


def test_rabbitmq_queues_are_quorum_queues_on_topic_exchanges():
    queues = task_queues("amqp", ["default", "email", "default"])
    assert [queue.name for queue in queues] == ["default", "email"]
    for queue in queues:
        assert queue.queue_arguments == {"x-queue-type": "quorum"}
        assert queue.durable and not queue.auto_delete
        # Native delayed delivery (countdowns on quorum queues) cannot reach a direct exchange.
        assert (queue.exchange.name, queue.exchange.type, queue.routing_key) == (queue.name, "topic", queue.name)
    assert task_queues("redis", ["default"]) is None


def settings_with(env: dict) -> dict:
    """Some settings of the production settings module loaded in a fresh process with ``env``."""
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'caches': s.CACHES, 'layers': s.CHANNEL_LAYERS, 'broker': s.CELERY_BROKER_URL, "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'transport': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "'queues': [[q.name, q.queue_arguments] for q in s.CELERY_TASK_QUEUES or ()]}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER"}}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "mini_twitter.settings.production", "SECRET_KEY": "x" * 50, **env}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_settings_shard_over_the_listed_servers_and_take_rabbitmq():
    loaded = settings_with(
        {
            "REDIS_URL": "redis://redis:6379/0",
            "CACHE_REDIS_URLS": f"{A},{B}",
            "CHANNEL_REDIS_URLS": f"{B},{C}",
            "CELERY_BROKER_URL": RABBIT,
        }
    )
    assert loaded["caches"]["default"]["LOCATION"] == [A, B]
    assert [host["address"] for host in loaded["layers"]["default"]["CONFIG"]["hosts"]] == [B, C]
    assert loaded["broker"] == RABBIT and loaded["eager"] is False
    assert loaded["transport"] == {"confirm_publish": True}
    assert loaded["queues"] == [["default", {"x-queue-type": "quorum"}], ["email", {"x-queue-type": "quorum"}]]


def test_by_default_everything_is_on_redis_url():
    loaded = settings_with({"REDIS_URL": "redis://redis:6379/0"})
    assert loaded["caches"]["default"]["LOCATION"] == "redis://redis:6379/0"
    assert [host["address"] for host in loaded["layers"]["default"]["CONFIG"]["hosts"]] == ["redis://redis:6379/0"]
    assert loaded["broker"] == "redis://redis:6379/0" and loaded["eager"] is False
    assert loaded["transport"]["visibility_timeout"] == 300 and loaded["queues"] == []


def test_without_redis_a_broker_url_alone_sends_tasks_to_rabbitmq():
    loaded = settings_with({"CELERY_BROKER_URL": RABBIT})
    assert loaded["broker"] == RABBIT and loaded["eager"] is False
    assert loaded["caches"]["default"]["BACKEND"] == "mini_twitter.observability.cache.LocMemCache"
    assert loaded["layers"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"


def test_with_nothing_configured_tasks_run_inline():
    loaded = settings_with({})
    assert loaded["broker"] == "memory://" and loaded["eager"] is True


def test_the_scale_override_puts_celery_on_rabbitmq_and_leaves_web_and_worker_scalable():
    import yaml

    base = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())["services"]
    scale = yaml.safe_load((settings.BASE_DIR / "docker-compose.scale.yml").read_text())
    assert scale["services"]["rabbitmq"]["profiles"] == ["scale"]
    assert scale["services"]["rabbitmq"]["image"].startswith("rabbitmq:")
    assert "rabbitmqdata:/var/lib/rabbitmq" in scale["services"]["rabbitmq"]["volumes"]
    for name in ("web", "stream", "worker", "beat"):
        service = scale["services"][name]
        assert broker_kind(service["environment"]["CELERY_BROKER_URL"]) == "amqp", name
        assert service["depends_on"]["rabbitmq"]["condition"] == "service_healthy", name
        assert name in base, name
    for name in ("web", "stream", "worker"):
        for merged in (base[name], scale["services"][name]):
            assert "container_name" not in merged and "ports" not in merged, name


def test_the_scale_override_puts_timelines_on_a_redis_cluster_and_reads_on_a_replica():
    import yaml

    from posts.feed import timelines

    scale = yaml.safe_load((settings.BASE_DIR / "docker-compose.scale.yml").read_text())["services"]
    nodes = [name for name in scale if name.startswith("redis-node-")]
    assert len(nodes) == 6 and all("--cluster-enabled yes" in scale[n]["command"][-1] for n in nodes)
    assert all(scale[n]["profiles"] == ["scale"] and scale[n]["hostname"] == n for n in nodes)
    assert set(scale["redis-cluster"]["depends_on"]) == set(nodes)
    assert (settings.BASE_DIR / "deploy/redis/cluster-create.sh").exists()
    replica = scale["postgres-replica"]
    assert replica["profiles"] == ["scale"] and replica["depends_on"]["postgres"]["condition"] == "service_healthy"
    script = (settings.BASE_DIR / "deploy/postgres/replica.sh").read_text()
    assert "pg_basebackup -h postgres -U replicator" in script and " -R " in script
    assert "/docker-entrypoint-initdb.d/replication.sh" in scale["postgres"]["volumes"][0]
    for name in ("web", "stream", "worker", "beat"):
        env = scale[name]["environment"]
        assert timelines.is_cluster(env["TIMELINES_REDIS_URL"]), name
        assert [url.split("@")[1] for url in env["DATABASE_REPLICA_URLS"].split(",")] == [
            "postgres-replica:5432/mini_twitter"
        ]
        assert scale[name]["depends_on"]["redis-cluster"]["condition"] == "service_completed_successfully"


DEAD = ["redis://127.0.0.1:1/0", "redis://127.0.0.1:1/1"]


def test_a_sharded_cache_with_its_servers_down_misses_without_errors(settings):
    from django.core.cache import cache

    settings.CACHES = {"default": cache_config(DEAD)}
    cache.set_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "b"]) == {} and cache.get("a", "default") == "default"
    assert cache.delete_many(["a", "b"]) in (0, None)


def test_a_sharded_cache_told_not_to_ignore_errors_raises_them(settings):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    config = cache_config(DEAD)
    settings.CACHES = {"default": {**config, "OPTIONS": {**config["OPTIONS"], "IGNORE_EXCEPTIONS": False}}}
    with pytest.raises(RedisConnectionError):
        cache.get_many(["a", "b"])
    with pytest.raises(RedisConnectionError):
        cache.set_many({"a": 1})
