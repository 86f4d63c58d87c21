"""django-redis's sharding client with its multi-key calls batched per server.

``django_redis.client.ShardClient`` puts each key on one server of a consistent hash ring (a
``{tag}`` in a key picks the server by the tag alone), but sends ``get_many``, ``set_many`` and
``delete_many`` one key at a time; the feed and the post hydration read dozens of keys per page. This
sends one ``MGET``, one pipeline or one ``DEL`` per server instead. The rest (``get``, ``set``,
``incr``, ``lock``, ``delete_pattern`` on every server, ...) is django-redis's own; what it cannot do
across servers (``iter_keys``, the raw ``get_client``) the project does not use.
"""

from collections import defaultdict

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django_redis.client import DefaultClient
from django_redis.client import ShardClient as DjangoRedisShardClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

_REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, ResponseError)


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

    def get_many(self, keys, version=None, client=None) -> dict:
        if client is not None:
            raise NotImplementedError("get_many on the sharded client may not name a client")
        found = {}
        for name, keyed in self._by_server(keys, version).items():
            values = DefaultClient.get_many(self, list(keyed), version=version, client=self._serverdict[name])
            found.update((keyed[made], value) for made, value in values.items())
        return found

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None, client=None) -> None:
        if client is not None:
            raise NotImplementedError("set_many on the sharded client may not name a client")
        for name, keyed in self._by_server(data, version).items():
            server = self._serverdict[name]
            try:
                pipeline = server.pipeline()
                for made, key in keyed.items():
                    self.set(made, data[key], timeout, version=version, client=pipeline)
                pipeline.execute()
            except _REDIS_ERRORS as exc:
                raise ConnectionInterrupted(connection=server) from exc

    def delete_many(self, keys, version=None, client=None) -> int:
        if client is not None:
            raise NotImplementedError("delete_many on the sharded client may not name a client")
        return sum(
            DefaultClient.delete_many(self, list(keyed), version=version, client=self._serverdict[name])
            for name, keyed in self._by_server(keys, version).items()
        )
