"""django-redis's sharding client with its multi-key calls batched per server.

``django_redis.client.ShardClient`` puts each key on one server of a consistent hash ring (a
``{tag}`` in a key picks the server by the tag alone), but sends ``get_many``, ``set_many`` and
``delete_many`` one key at a time; the feed and the post hydration read dozens of keys per page. This
sends one ``MGET``, one pipeline or one ``DEL`` per server instead, and, as the cache ignores Redis
errors, a server that is down only makes its own keys miss. The rest (``get``, ``set``,
``incr``, ``lock``, ``delete_pattern`` on every server, ...) is django-redis's own; what it cannot do
across servers (``iter_keys``, the raw ``get_client``) the project does not use.
"""

import logging
from collections import defaultdict

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.client import DefaultClient
from django_redis.client import ShardClient as DjangoRedisShardClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

_REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, ResponseError)

logger = logging.getLogger(__name__)


class ShardClient(DjangoRedisShardClient):
    # django-redis's cache backend calls ``get`` with ``client=None``, and the default client's
    # ``add``, ``set`` and ``incr`` call these with the server they picked; its sharding client
    # warns about any client given. Here ``None`` picks the key's server and a given one is used.
    def _server_for(self, key, version, client, prefix=None):
        key = self.make_key(key, version=version, prefix=prefix)
        return key, (self.get_server(key) if client is None else client)

    def get(self, key, default=None, version=None, client=None):
        key, client = self._server_for(key, version, client)
        return DefaultClient.get(self, key, default=default, version=version, client=client)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None, client=None, nx=False, xx=False):
        key, client = self._server_for(key, version, client)
        return DefaultClient.set(self, key, value, timeout=timeout, version=version, client=client, nx=nx, xx=xx)

    def has_key(self, key, version=None, client=None):
        key, client = self._server_for(key, version, client)
        return DefaultClient.has_key(self, key, version=version, client=client)

    def delete(self, key, version=None, prefix=None, client=None):
        key, client = self._server_for(key, version, client, prefix)
        return DefaultClient.delete(self, key, version=version, prefix=prefix, client=client)

    def ttl(self, key, version=None, client=None):
        key, client = self._server_for(key, version, client)
        return DefaultClient.ttl(self, key, version=version, client=client)

    def _by_server(self, keys, version) -> dict:
        """{server name: {made key: key as given}}."""
        groups: dict = defaultdict(dict)
        for key in keys:
            made = self.make_key(key, version=version)
            groups[self.get_server_name(made)][made] = key
        return groups

    def _each_server(self, keys, version, operation) -> list:
        """``operation(server, {made key: key as given})`` for each server holding some of the keys;
        their results. When the cache ignores Redis errors, a server that fails is left out (its
        keys miss) and the others still answer."""
        results = []
        for name, keyed in self._by_server(keys, version).items():
            server = self._serverdict[name]
            try:
                try:
                    results.append(operation(server, keyed))
                except _REDIS_ERRORS as exc:
                    raise ConnectionInterrupted(connection=server) from exc
            except ConnectionInterrupted:
                if not getattr(self._backend, "_ignore_exceptions", False):
                    raise
                logger.warning("cache server %s failed; its keys are left out", name, exc_info=True)
        return results

    def get_many(self, keys, version=None, client=None) -> dict:
        if client is not None:
            raise NotImplementedError("get_many on the sharded client may not name a client")

        def read(server, keyed) -> dict:
            values = DefaultClient.get_many(self, list(keyed), version=version, client=server)
            return {keyed[made]: value for made, value in values.items()}

        found = {}
        for values in self._each_server(keys, version, read):
            found.update(values)
        return found

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, client=None) -> None:
        if client is not None:
            raise NotImplementedError("set_many on the sharded client may not name a client")

        def write(server, keyed) -> None:
            pipeline = server.pipeline()
            for made, key in keyed.items():
                self.set(made, data[key], timeout, version=version, client=pipeline)
            pipeline.execute()

        self._each_server(data, version, write)

    def delete_many(self, keys, version=None, client=None) -> int:
        if client is not None:
            raise NotImplementedError("delete_many on the sharded client may not name a client")

        def delete(server, keyed) -> int:
            return DefaultClient.delete_many(self, list(keyed), version=version, client=server)

        return sum(self._each_server(keys, version, delete))
