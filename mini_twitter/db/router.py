"""The database router of a primary with read replicas (installed when ``DATABASE_REPLICA_URLS``
names some): reads as mini_twitter/db/replicas.py decides, writes and migrations on the primary."""

from django.conf import settings

from mini_twitter.db import replicas


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        return replicas.read_alias()

    def db_for_write(self, model, **hints) -> str:
        replicas.note_write()
        return replicas.PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replicas hold the primary's rows: an object read from one may point at one from another.
        same_data = {replicas.PRIMARY, *settings.DATABASE_REPLICAS}
        return True if obj1._state.db in same_data and obj2._state.db in same_data else None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # Replicas get the schema by replaying the primary's WAL (and refuse writes anyway).
        return False if db in settings.DATABASE_REPLICAS else None
