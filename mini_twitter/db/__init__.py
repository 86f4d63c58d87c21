"""The database topology: a primary and its read replicas (``DATABASE_REPLICA_URLS``)."""
