"""The settings of the services that scale out by adding servers, built from their URLs: the cache
and the channel layer sharded over several Redis servers, and the Celery broker (Redis, or RabbitMQ
with quorum queues). Plain functions of their inputs, so that base.py and the tests share them."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
AMQP_SCHEMES = frozenset({"amqp", "amqps", "pyamqp"})
BROKER_SCHEMES = REDIS_SCHEMES | AMQP_SCHEMES | {"memory"}


def split_urls(value: str | None, default: str = "", *, name: str) -> list[str]:
    """A comma-separated list of Redis URLs (``default`` when unset or empty), each once."""
    urls = [url.strip() for url in (value or default or "").split(",") if url.strip()]
    for url in urls:
        if urlsplit(url).scheme not in REDIS_SCHEMES:
            raise ImproperlyConfigured(f"{name}: {url!r} is not a redis://, rediss:// or unix:// URL.")
    if len(set(urls)) != len(urls):
        raise ImproperlyConfigured(f"{name} lists a server twice.")
    return urls


def cache_config(urls: list[str], *, key_prefix: str = "mt") -> dict:
    """``CACHES["default"]``: django-redis on one server, or sharded over several by key (a
    consistent hash ring: adding a server moves about 1/N of the keys, which are then misses)."""
    sharded = len(urls) > 1
    return {
        # django-redis, counting its operations for Prometheus.
        "BACKEND": "mini_twitter.observability.cache.RedisCache",
        # Several locations mean primary + read replicas to the default client: a list only to shard.
        "LOCATION": urls if sharded else urls[0],
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            # django-redis's ShardClient, with get_many/set_many/delete_many batched per server.
            "CLIENT_CLASS": "mini_twitter.cache.ShardClient" if sharded else "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
            # A Redis outage degrades caching and throttling instead of failing requests.
            "IGNORE_EXCEPTIONS": True,
        },
    }


def channel_layer_config(urls: list[str], *, prefix: str, capacity: int = 500) -> dict:
    """``CHANNEL_LAYERS["default"]`` on these Redis servers: channels_redis puts each group and each
    process's channels on one of them (a hash of the name), the same in every process."""
    # Each socket waits for its events in a blocking read (BZPOPMIN) that Redis answers after 5 s
    # without events (channels_redis's ``brpop_timeout``). redis-py's default socket timeout (5 s too)
    # fails that read, which ends the socket without a close frame or its disconnect handler. No
    # socket timeout at all: with one, redis-py sends each command under asyncio.wait_for, which on
    # Python 3.11 can swallow the cancellation of a closing socket's read (which then never ends). A
    # dead Redis is still noticed: TCP keepalive drops its connections within about 45 s.
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {"address": url, "socket_connect_timeout": 2, "socket_timeout": None, "socket_keepalive": True}
                for url in urls
            ],
            "prefix": prefix,
            "capacity": capacity,
        },
    }


def broker_kind(url: str) -> str:
    """``"amqp"`` (RabbitMQ), ``"redis"`` or ``"memory"`` (no broker: tasks run inline)."""
    scheme = urlsplit(url).scheme
    if scheme not in BROKER_SCHEMES:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_URL: {scheme or url!r} is not an amqp://, redis:// or memory:// URL."
        )
    if scheme in AMQP_SCHEMES:
        return "amqp"
    return "redis" if scheme in REDIS_SCHEMES else "memory"


def broker_transport_options(
    kind: str, *, visibility_timeout: int, unacked_restore_interval: int, unacked_restore_throttle: int
) -> dict:
    if kind == "amqp":
        # Publishing waits for RabbitMQ's confirm: a task is sent once the queue has it (on a
        # quorum queue, a majority of its replicas), so an outbox row is not taken as sent when it
        # was lost.
        return {"confirm_publish": True}
    if kind == "redis":
        # Redis has no acknowledgements of its own: a task taken by a worker that died before
        # acknowledging it (acks_late) is delivered again once it has been unacknowledged for
        # ``visibility_timeout`` seconds. Workers look for such tasks about every interval ×
        # throttle seconds. A worker's blocking read (BRPOP) returns after 1 s without tasks
        # (kombu's ``polling_interval``), well within ``socket_timeout``.
        return {
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            "visibility_timeout": visibility_timeout,
            "unacked_restore_interval": unacked_restore_interval,
            "unacked_restore_throttle": unacked_restore_throttle,
        }
    return {}


def task_queues(kind: str, names: list[str]) -> tuple | None:
    """``CELERY_TASK_QUEUES`` on RabbitMQ: durable quorum queues (replicated, the type RabbitMQ
    recommends for durable work), each on a topic exchange of its name. Topic, not direct, because
    Celery sends a countdown/ETA task (a retry) to quorum queues through RabbitMQ's native delayed
    delivery (a chain of TTL queues dead-lettering into the queue's exchange), which cannot reach a
    direct exchange; with a direct one the worker would hold the task until its ETA. None for Redis
    (Celery creates its queues by name)."""
    if kind != "amqp":
        return None
    from kombu import Exchange, Queue

    return tuple(
        Queue(name, Exchange(name, type="topic"), routing_key=name, queue_arguments={"x-queue-type": "quorum"})
        for name in dict.fromkeys(names)
    )
