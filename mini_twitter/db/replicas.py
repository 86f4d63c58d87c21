"""Which database serves a read: the primary or one of its streaming replicas
(``DATABASE_REPLICA_URLS``, aliases ``replica_0``, ``replica_1``, ...).

A read goes to a replica only inside an HTTP request (:class:`RequestRouting`, opened by
mini_twitter/db/middleware.py) with a safe method, outside the admin, outside any transaction and
before the request writes anything; Celery tasks, management commands and sockets read from the
primary. Read-your-writes: a request that wrote records the primary's WAL position (LSN) for its
client (its session and its user) for a few seconds; that client's reads then go only to a replica
that has replayed up to it, else to the primary. A replica that is unreachable or lags more than
``DATABASE_REPLICA_MAX_LAG_SECONDS`` is left out. Each process checks its replicas at most every
``DATABASE_REPLICA_CHECK_SECONDS`` (:class:`ReplicaHealth`); a request costs at most one cache read.
"""

import itertools
import logging
import math
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject, empty

logger = logging.getLogger(__name__)

PRIMARY = DEFAULT_DB_ALIAS
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Tagged so that query logs (and the tests counting queries) tell the checks from the app's reads.
PRIMARY_LSN_SQL = "SELECT pg_current_wal_lsn()::text /* replica health */"
REPLICA_STATUS_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float /* replica health */"
)
# A replica that could not be reached is tried again after this many seconds (a connection attempt
# to an unreachable host takes up to CONNECT_TIMEOUT).
RETRY_DOWN_SECONDS = 5.0
CONNECT_TIMEOUT = 2


def lsn_to_int(lsn: str) -> int:
    """``'16/B374D848'`` → a number that orders as the WAL does."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def replica_aliases() -> list[str]:
    return settings.DATABASE_REPLICAS


class ReplicaHealth:
    """The replicas of this process that may serve reads, each with the WAL position it has replayed,
    checked at most every ``DATABASE_REPLICA_CHECK_SECONDS`` on connections of its own (so a dead
    replica never holds up the app's connection pool)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._checked_at = -math.inf
        self._usable: dict[str, int] = {}
        self._down_until: dict[str, float] = {}
        self._connections: dict[str, psycopg.Connection] = {}

    def usable(self) -> dict[str, int]:
        """``{alias: replayed LSN}``; a thread finding another one checking uses the last answer."""
        if time.monotonic() - self._checked_at >= settings.DATABASE_REPLICA_CHECK_SECONDS and self._lock.acquire(
            blocking=False
        ):
            try:
                self._usable = self._check()
                self._checked_at = time.monotonic()
            finally:
                self._lock.release()
        return self._usable

    def mark_down(self, alias: str) -> None:
        """Leave ``alias`` out until it has been checked again."""
        self._usable = {name: lsn for name, lsn in self._usable.items() if name != alias}
        self._down_until[alias] = time.monotonic() + RETRY_DOWN_SECONDS

    def reset(self) -> None:
        """Forget every answer: the next read checks again."""
        with self._lock:
            self._checked_at = -math.inf
            self._usable = {}
            self._down_until.clear()
            for connection in self._connections.values():
                connection.close()
            self._connections.clear()

    def _check(self) -> dict[str, int]:
        primary = self._query(PRIMARY, PRIMARY_LSN_SQL)
        primary_lsn = lsn_to_int(primary[0]) if primary and primary[0] else None
        max_lag = settings.DATABASE_REPLICA_MAX_LAG_SECONDS
        usable = {}
        now = time.monotonic()
        for alias in replica_aliases():
            if self._down_until.get(alias, -math.inf) > now:
                continue
            status = self._query(alias, REPLICA_STATUS_SQL)
            if status is None:
                self._down_until[alias] = now + RETRY_DOWN_SECONDS
                continue
            in_recovery, replayed, lag_seconds = status
            if not in_recovery or not replayed:
                continue  # promoted, or not a streaming replica: its data may have diverged
            replayed_lsn = lsn_to_int(replayed)
            # Caught up with the primary, or its last replayed commit is recent enough (on an idle
            # primary the replay timestamp ages while the replica is in fact up to date).
            if (primary_lsn is not None and replayed_lsn >= primary_lsn) or (
                lag_seconds is not None and lag_seconds <= max_lag
            ):
                usable[alias] = replayed_lsn
        return usable

    def _query(self, alias: str, sql: str) -> tuple | None:
        """One row from ``alias`` on this object's own connection (opened again if it broke); None
        when the server can't be reached."""
        connection = self._connections.pop(alias, None)
        if connection is not None and not connection.closed:
            try:
                row = connection.execute(sql).fetchone()
            except psycopg.Error:
                connection.close()
            else:
                self._connections[alias] = connection
                return row
        try:
            connection = psycopg.connect(**connection_params(alias), autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            logger.warning("database %s unavailable for reads: %s", alias, exc)
            return None
        try:
            row = connection.execute(sql).fetchone()
        except psycopg.Error as exc:
            connection.close()
            logger.warning("database %s unavailable for reads: %s", alias, exc)
            return None
        self._connections[alias] = connection
        return row


def connection_params(alias: str) -> dict:
    """The libpq parameters of ``alias`` (its test database's name in tests)."""
    config = connections[alias].settings_dict
    params = {
        "dbname": config["NAME"],
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    options = {key: value for key, value in config.get("OPTIONS", {}).items() if key in LIBPQ_OPTIONS}
    return {key: value for key, value in {**params, **options}.items() if value is not None}


LIBPQ_OPTIONS = {"sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service", "application_name"}

health = ReplicaHealth()
_next_replica = itertools.count()


def pick(replicas: dict[str, int], written_lsn: int | None = None) -> str | None:
    """One of the replicas (in turn) that has replayed ``written_lsn``; None when none has."""
    eligible = sorted(alias for alias, lsn in replicas.items() if written_lsn is None or lsn >= written_lsn)
    return eligible[next(_next_replica) % len(eligible)] if eligible else None


# --- Read-your-writes -----------------------------------------------------------------------------


def written_key(client: str) -> str:
    return f"db:written:{client}"


def written_seconds() -> int:
    """How long a client's last write pins its reads: by then every replica still in use (lagging
    at most the maximum lag, checked that recently) has replayed it."""
    return math.ceil(settings.DATABASE_REPLICA_MAX_LAG_SECONDS + 2 * settings.DATABASE_REPLICA_CHECK_SECONDS) + 1


def request_user(request: HttpRequest):
    """The request's user once authentication has found it (DRF sets it on the request when it
    authenticates), without querying for it; None before that."""
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped  # `empty` until something has asked for it
    if user is None or user is empty or not user.is_authenticated:
        return None
    return user


def read_client(request: HttpRequest) -> str | None:
    """Whose writes a read must see: the session's when the client has one, else the user's."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key:
        return f"session:{session_key}"
    user = request_user(request)
    return f"user:{user.pk}" if user is not None else None


def written_clients(request: HttpRequest, response: HttpResponse) -> list[str]:
    """Every key a write is recorded under: the user and the session (a new one included)."""
    clients = []
    user = request_user(request)
    if user is not None:
        clients.append(f"user:{user.pk}")
    new_session = response.cookies.get(settings.SESSION_COOKIE_NAME)
    for session_key in {request.COOKIES.get(settings.SESSION_COOKIE_NAME), new_session and new_session.value}:
        if session_key:
            clients.append(f"session:{session_key}")
    return clients


def record_write(request: HttpRequest, response: HttpResponse) -> None:
    """After the request's writes have committed: its clients read from the primary until a replica
    has replayed up to the primary's current WAL position."""
    clients = written_clients(request, response)
    if not clients:
        return
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (lsn,) = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("could not read the primary's WAL position: %s", exc)
        return
    cache.set_many({written_key(client): lsn_to_int(lsn) for client in clients}, timeout=written_seconds())


# --- The request's routing --------------------------------------------------------------------------


@dataclass(eq=False)
class RequestRouting:
    """How one request reads. ``primary_only`` once it writes, fails on a replica, or must not read
    from one (unsafe method, the admin)."""

    request: HttpRequest
    primary_only: bool = False
    wrote: bool = False
    replica_failed: bool = False
    replica: str | None = None
    read_replica: bool = False
    _usable: dict[str, int] | None = field(default=None, repr=False)
    _client: str | None = field(default=None, repr=False)

    def read_alias(self) -> str:
        if self.primary_only:
            return PRIMARY
        if self._usable is None:
            self._usable = health.usable()
            self.replica = pick(self._usable)
        client = read_client(self.request)
        if client is not None and client != self._client:
            # Known once authentication has run (its own lookups come before): one cache read.
            self._client = client
            written_lsn = cache.get(written_key(client))
            if written_lsn is not None and (self.replica is None or self._usable[self.replica] < written_lsn):
                self.replica = pick(self._usable, written_lsn)
        if self.replica is None:
            self.primary_only = True
            return PRIMARY
        self.read_replica = True
        return self.replica

    def use_primary(self) -> None:
        self.primary_only = True
        self.replica = None

    def must_answer_again(self, response: HttpResponse) -> bool:
        """Whether a response read from a replica is to be made again from the primary: the replica
        failed, or refused the client (its account or credentials may be newer than the replica,
        as right after registering: before authentication the client's writes are not known)."""
        if not self.read_replica or self.request.method not in SAFE_METHODS or response.streaming:
            return False
        return self.replica_failed or response.status_code == 401

    def answer_again(self) -> None:
        self.use_primary()
        self.replica_failed = self.read_replica = False


_routing: ContextVar[RequestRouting | None] = ContextVar("replica_routing", default=None)


def current_routing() -> RequestRouting | None:
    return _routing.get()


def open_routing(routing: RequestRouting):
    """Route the reads of the running request by ``routing``; returns the token to close it with."""
    return _routing.set(routing)


def close_routing(token) -> None:
    _routing.reset(token)


def read_alias() -> str:
    """The database the next read goes to (the router's answer)."""
    routing = _routing.get()
    if routing is None or routing.primary_only or connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return routing.read_alias()


def note_write() -> None:
    """The running request writes: it reads from the primary from now on, and its clients after it."""
    routing = _routing.get()
    if routing is not None:
        routing.wrote = True
        routing.use_primary()


def replica_failed(alias: str) -> None:
    """``alias`` failed to connect or answer: left out, and the running request goes to the primary."""
    health.mark_down(alias)
    routing = _routing.get()
    if routing is not None and routing.replica == alias:
        routing.replica_failed = True
        routing.use_primary()
