"""Cache backends that count their operations for Prometheus: reads per key in django-prometheus's
``django_cache_get_total`` / ``_hits_total`` / ``_misses_total``, and every call in
``mini_twitter_cache_operations_total``.

django-prometheus's own wrappers count only ``get`` (the feed reads with ``get_many``), and its
locmem wrapper returns the default for cached falsy values; these wrap the django-redis and locmem
backends unchanged (options, ``delete_pattern``, ignored Redis outages) and only count.
"""

from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django_prometheus.cache.metrics import django_cache_get_total, django_cache_hits_total, django_cache_misses_total
from django_redis.cache import RedisCache as DjangoRedisCache

from .metrics import CACHE_OPERATIONS

_MISSING = object()


class InstrumentedCacheMixin:
    metrics_backend = "unknown"
    # Django's generic get_many/set_many call get/set per key: count the outer call only.
    _in_operation = False

    def _counted(self, operation: str, call, *args, **kwargs):
        if self._in_operation:
            return call(*args, **kwargs)
        CACHE_OPERATIONS.labels(backend=self.metrics_backend, operation=operation).inc()
        self._in_operation = True
        try:
            return call(*args, **kwargs)
        finally:
            self._in_operation = False

    def _count_reads(self, looked_up: int, found: int) -> None:
        django_cache_get_total.labels(backend=self.metrics_backend).inc(looked_up)
        if found:
            django_cache_hits_total.labels(backend=self.metrics_backend).inc(found)
        if looked_up > found:
            django_cache_misses_total.labels(backend=self.metrics_backend).inc(looked_up - found)

    def get(self, key, default=None, *args, **kwargs):
        if self._in_operation:
            return super().get(key, default, *args, **kwargs)
        value = self._counted("get", super().get, key, _MISSING, *args, **kwargs)
        self._count_reads(1, 0 if value is _MISSING else 1)
        return default if value is _MISSING else value

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        if self._in_operation:
            return super().get_many(keys, *args, **kwargs)
        found = self._counted("get_many", super().get_many, keys, *args, **kwargs) or {}
        self._count_reads(len(keys), len(found))
        return found

    def set(self, *args, **kwargs):
        return self._counted("set", super().set, *args, **kwargs)

    def add(self, *args, **kwargs):
        return self._counted("add", super().add, *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._counted("set_many", super().set_many, *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._counted("delete", super().delete, *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._counted("delete_many", super().delete_many, *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._counted("incr", super().incr, *args, **kwargs)

    def decr(self, *args, **kwargs):
        return self._counted("decr", super().decr, *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._counted("touch", super().touch, *args, **kwargs)


class RedisCache(InstrumentedCacheMixin, DjangoRedisCache):
    metrics_backend = "redis"


class LocMemCache(InstrumentedCacheMixin, DjangoLocMemCache):
    metrics_backend = "locmem"
