"""The PostgreSQL backend of the read replicas (``replica_<n>`` aliases): the project's PostgreSQL
backend, telling :mod:`mini_twitter.db.replicas` when a replica fails to connect or to answer, so that
the request is answered from the primary and the replica is left out until it answers again."""

from django.db import InterfaceError, OperationalError
from django_prometheus.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper

from mini_twitter.db import replicas

UNAVAILABLE = (OperationalError, InterfaceError)


def note_failure(execute, sql, params, many, context):
    try:
        return execute(sql, params, many, context)
    except UNAVAILABLE:
        replicas.replica_failed(context["connection"].alias)
        raise


class DatabaseWrapper(PostgresDatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(note_failure)

    def ensure_connection(self):
        try:
            super().ensure_connection()
        except UNAVAILABLE:
            replicas.replica_failed(self.alias)
            raise
