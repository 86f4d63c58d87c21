"""The Redis store of the home feed (``FEED_BACKEND=redis``): home timelines filled by fan-out on
write (:mod:`posts.feed.fanout`), read here in one script call, and built from the database.

Each active user's home timeline is a sorted set ``tl:h:{u:<user>}`` of post ids scored by the time
the post entered the feed in microseconds since the epoch (exact in a double up to 2^53, so the
score *is* the cursor's ``entry_at``), beside a hash ``tl:hm:{u:<user>}`` from post id to
``"<feed_id>:<author id>:<retweeter id or 0>"``. A post is a member once, at its newest entry: an
entry only replaces the member's score when it is newer (ties by ``feed_id``), so the feed's dedupe
and its ``(entry_at, feed_id)`` cursor hold in Redis exactly as in the database store. The hash also
carries the timeline's state in fields starting with ``_``: ``_b`` (built), ``_k`` (the followed
accounts merged in at read time) and ``_h`` (the horizon: entries at or below that score may be
missing, because the set was capped or rebuilt partially). Pages above the horizon come from
Redis; pages below it come from the database store. Both keys, and every change to them, go
through the Lua scripts of :mod:`posts.feed.scripts`, so they stay consistent and capped at
``TIMELINE_MAX_ENTRIES`` atomically. A user timeline ``tl:u:{u:<user>}`` (same layout: the
account's own entries) is what followers of an account with more than
``TIMELINE_CELEBRITY_FOLLOWERS`` followers merge in at read time instead of fan-out.

The store is one Redis server or a Redis Cluster (``TIMELINES_REDIS_URL``, default ``REDIS_URL``).
Every key of one user carries the hash tag ``{u:<user>}``, so their timelines are in one hash slot
and each script call touches keys of one user only. A read runs the read script on the home
timeline, and on the user timelines of the accounts it merges in (each in its own slot, in one
pipeline), and merges their entries here (:func:`merge`).

Timelines expire after ``TIMELINE_ACTIVE_DAYS`` days without a read, so inactive users cost
nothing. Redis holds nothing that the database does not: a missing timeline is rebuilt from the
database, in a task asked for through :data:`rebuild_wanted`, and served from the database
meanwhile (so is a timeline whose keys were renamed: a change of key layout rebuilds timelines).
"""

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal
from redis.backoff import ExponentialWithJitterBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError, RedisClusterException
from redis.retry import Retry

from users.models import Follow

from ..models import Post
from .db import compute_page
from .entries import Cursor, FeedEntry, FeedPage, from_micros, micros
from .scripts import Scripts

# What the timelines' Redis raises when it fails: the cluster client raises some errors (no node
# reachable, a slot not covered during a failover) outside ``redis.RedisError``.
ERRORS = (redis.RedisError, RedisClusterException)

logger = logging.getLogger(__name__)

PREFIX = "tl:"
CELEBRITIES_KEY = f"{PREFIX}celebrities"
BUILDING_SECONDS = 60

# Sent with ``home_id`` (a home timeline) or ``user_id`` (a user timeline) when a read finds the
# timeline missing and no build of it under way: a receiver schedules :func:`rebuild_home` or
# :func:`rebuild_user` (``posts.signals``). Lost, it is sent again by the next read.
rebuild_wanted = Signal()


def redis_url() -> str:
    """The timelines' Redis: ``TIMELINES_REDIS_URL``, else ``REDIS_URL``."""
    return settings.TIMELINES_REDIS_URL or settings.REDIS_URL


def enabled() -> bool:
    return settings.FEED_BACKEND == "redis" and bool(redis_url())


def _tag(user_id: int) -> str:
    """The hash tag of a user's keys: on a Redis Cluster they all hash to one slot."""
    return f"{{u:{user_id}}}"


def home_keys(user_id: int) -> tuple[str, str, str]:
    """(sorted set, hash, "being rebuilt" marker) of a home timeline."""
    tag = _tag(user_id)
    return f"{PREFIX}h:{tag}", f"{PREFIX}hm:{tag}", f"{PREFIX}hb:{tag}"


def user_keys(user_id: int) -> tuple[str, str, str]:
    """The same for a user timeline (the account's own posts and retweets)."""
    tag = _tag(user_id)
    return f"{PREFIX}u:{tag}", f"{PREFIX}um:{tag}", f"{PREFIX}ub:{tag}"


def ttl_seconds() -> int:
    return max(1, settings.TIMELINE_ACTIVE_DAYS) * 86400


def max_entries() -> int:
    return settings.TIMELINE_MAX_ENTRIES


def rebuild_entries() -> int:
    """How many entries a rebuild reads: a few pages, since reading many costs more than linearly
    (the database reads that many of every followed account's newest posts); the timeline's horizon
    sends older pages to the database, and fan-out grows it to :func:`max_entries`."""
    return max(1, min(settings.TIMELINE_REBUILD_ENTRIES, max_entries()))


def is_celebrity(followers_count: int) -> bool:
    return followers_count > settings.TIMELINE_CELEBRITY_FOLLOWERS


# --- An entry in Redis: the member, its score and its value -------------------------------------


def script_args(entry: FeedEntry) -> list:
    """(member, score, value) as the scripts take an entry."""
    value = f"{entry.feed_id}:{entry.author_id or 0}:{entry.retweeted_by_id or 0}"
    return [entry.post_id, micros(entry.entry_at), value]


def entry_of(member: bytes | str | int, score: bytes | float | int, value: bytes) -> FeedEntry:
    feed_id, author_id, retweeter_id = (int(x) for x in value.split(b":"))
    return FeedEntry(int(member), from_micros(int(score)), feed_id, retweeter_id or None, author_id or None)


# --- Redis ------------------------------------------------------------------------------------


CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}  # scheme: TLS


def cluster_nodes(url: str) -> tuple[list[ClusterNode], dict]:
    """The startup nodes and the connection options of a ``redis+cluster://[user:password@]host:port,
    host:port,...`` URL (``rediss+cluster://`` for TLS)."""
    scheme, _, rest = url.partition("://")
    if scheme not in CLUSTER_SCHEMES:
        raise ImproperlyConfigured(f"not a Redis Cluster URL: {url!r}")
    netloc = rest.split("/", 1)[0].split("?", 1)[0]
    options: dict = {"ssl": True} if CLUSTER_SCHEMES[scheme] else {}
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        username, has_password, password = userinfo.partition(":")
        if has_password:
            options["password"] = unquote(password)
            if username:
                options["username"] = unquote(username)
        else:
            options["password"] = unquote(username)
    nodes = []
    for address in filter(None, netloc.split(",")):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise ImproperlyConfigured(f"TIMELINES_REDIS_URL: {address!r} is not host:port")
        nodes.append(ClusterNode(host.strip("[]"), int(port)))
    if not nodes:
        raise ImproperlyConfigured(f"TIMELINES_REDIS_URL: no node in {url!r}")
    return nodes, options


def is_cluster(url: str) -> bool:
    return url.partition("://")[0] in CLUSTER_SCHEMES


@lru_cache(maxsize=4)
def _connect(url: str) -> tuple[redis.Redis | RedisCluster, Scripts]:
    timeouts = {"socket_connect_timeout": 1, "socket_timeout": 2}
    if is_cluster(url):
        nodes, options = cluster_nodes(url)
        # A node that fails (a master until its replica is promoted) costs a request a few short
        # retries, on a fresh view of the cluster each, then the database answers.
        retry = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.25), 3)
        conn = RedisCluster(startup_nodes=nodes, retry=retry, **options, **timeouts)
    else:
        conn = redis.Redis.from_url(url, health_check_interval=30, **timeouts)
    return conn, Scripts(conn)


def client() -> redis.Redis | RedisCluster:
    return _connect(redis_url())[0]


def scripts() -> Scripts:
    return _connect(redis_url())[1]


def slot_of(user_id: int) -> int:
    """The hash slot of the user's keys on a Redis Cluster; 0 on one server (any keys go together)."""
    conn = client()
    return conn.keyslot(home_keys(user_id)[0]) if isinstance(conn, RedisCluster) else 0


ScriptCall = tuple[Script, Sequence[str], Sequence]


def run(calls: Iterable[ScriptCall]) -> list:
    """Script calls ``(script, keys, args)`` sent in one pipeline (on a cluster, one per node, each
    call to its keys' node); their results. A server that lacks a script (a replica promoted, a
    server restarted since) is given it, and that call is made again."""
    calls = list(calls)
    if not calls:
        return []
    conn = client()
    results = _run_on_nodes(conn, calls) if isinstance(conn, RedisCluster) else _send(conn, calls)
    for i, result in enumerate(results):
        if isinstance(result, NoScriptError):
            script, keys, args = calls[i]
            results[i] = script(keys=keys, args=args)  # loads it (on every master of a cluster)
        elif isinstance(result, Exception):
            raise result
    return results


def _send(conn: redis.Redis | RedisCluster, calls: list[ScriptCall]) -> list:
    pipe = conn.pipeline(transaction=False)
    for script, keys, args in calls:
        pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
    return pipe.execute(raise_on_error=False)


def _run_on_nodes(conn: RedisCluster, calls: list[ScriptCall]) -> list:
    """The calls grouped by the master that serves their slot in the client's view of the cluster,
    each group one plain pipeline on that node's connection (redis-py's cluster pipeline costs
    about eight times as much per call). A group its node refuses (a slot moved, a master gone) is
    sent again through the cluster pipeline, which follows redirections and refreshes its view."""
    groups: dict[str, list[int]] = {}
    nodes = {}
    try:
        for i, (_script, keys, _args) in enumerate(calls):
            node = conn.nodes_manager.get_node_from_slot(conn.keyslot(keys[0]))
            groups.setdefault(node.name, []).append(i)
            nodes[node.name] = node
    except ERRORS:  # a slot not covered in the client's view (a failover): the cluster client's way
        return _send(conn, calls)
    results: list = [None] * len(calls)
    for name, indexes in groups.items():
        try:
            answers = _send(conn.get_redis_connection(nodes[name]), [calls[i] for i in indexes])
        except ERRORS as error:
            answers = [error] * len(indexes)
        refused = []
        for i, answer in zip(indexes, answers, strict=True):
            if isinstance(answer, Exception) and not isinstance(answer, NoScriptError):
                refused.append(i)
            else:
                results[i] = answer
        if refused:
            for i, answer in zip(refused, _send(conn, [calls[i] for i in refused]), strict=True):
                results[i] = answer
    return results


def unlink_matching(conn: redis.Redis | RedisCluster, pattern: str, *, batch_size: int = 5000) -> int:
    """Delete the keys that match ``pattern``, a batch at a time (SCAN, then UNLINK); how many. On
    a cluster every master is scanned, and each batch is unlinked a slot at a time."""
    deleted, batch = 0, []
    for key in conn.scan_iter(match=pattern, count=batch_size):
        batch.append(key)
        if len(batch) >= batch_size:
            deleted += conn.unlink(*batch)
            batch = []
    if batch:
        deleted += conn.unlink(*batch)
    return deleted


def clear_all() -> int:
    """Delete every timeline key (tests, benchmarks): they are rebuilt on the next read."""
    return unlink_matching(client(), f"{PREFIX}*")


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    """What the read script returned from one timeline: its horizon (None: it holds everything),
    whether the range it read was cut at the limit, and its rows ``(post, score, value)`` (value
    ``b""`` when missing), newest first."""

    keys: tuple[str, str]
    horizon: int | None
    full: bool
    rows: list[tuple[bytes, bytes, bytes]]

    @classmethod
    def of(cls, keys: tuple[str, str], result: list) -> "_Read":
        rows = [(result[i], result[i + 1], result[i + 2]) for i in range(4, len(result), 3)]
        return cls(keys, int(result[1]) if result[1] else None, result[3] == b"1", rows)


def _fid(value: bytes) -> int:
    return int(value.split(b":", 1)[0])


def read_page(*, viewer_id: int, cursor: Cursor | None, size: int) -> FeedPage | None:
    """A page from the viewer's timeline, or None when the database must answer: the timeline (or
    a merged account's) is not built yet (a rebuild is asked for), or the page reaches below what
    Redis holds. Raises one of :data:`ERRORS` when Redis fails.

    The home timeline is read by one script call; when it merges accounts in (``_k``), their user
    timelines are read by one call each, in one pipeline (each in its own hash slot on a cluster),
    and the entries are merged by :func:`merge`."""
    want = size + 1
    args = [str(micros(cursor.entry_at)) if cursor else "+inf", want, ttl_seconds()]
    home = home_keys(viewer_id)[:2]
    result = scripts().read(keys=list(home), args=args)
    if result[0] == b"cold":
        request_rebuild(home_id=viewer_id)
        return None
    reads = [_Read.of(home, result)]
    merged = [int(account) for account in result[2].split(b",") if account]
    if merged:
        keyed = [user_keys(account)[:2] for account in merged]
        results = run((scripts().read, list(keys), args) for keys in keyed)
        cold = [account for account, result in zip(merged, results, strict=True) if result[0] == b"cold"]
        for account in cold:
            request_rebuild(user_id=account)
        if cold:
            return None
        reads += [_Read.of(keys, result) for keys, result in zip(keyed, results, strict=True)]
    merged_page = merge(reads, cursor, want)
    if merged_page is None:
        return None
    entries, complete = merged_page
    page = entries[:size]
    has_next = len(entries) > size or (not complete and len(page) == size)
    return FeedPage(page, Cursor.after(page[-1]) if has_next and page else None)


def merge(reads: list[_Read], cursor: Cursor | None, want: int) -> tuple[list[FeedEntry], bool] | None:
    """The newest ``want`` entries below the cursor of these timelines (a post once, at its newest
    entry among them) and whether they are all there is, or None when they reach below what Redis
    holds. Only entries above every timeline's horizon, and above the oldest entry read from a
    timeline whose range was cut at the limit, are known to be complete."""
    cur_s = micros(cursor.entry_at) if cursor else None
    cur_f = cursor.feed_id if cursor else -1
    horizon = max((read.horizon for read in reads if read.horizon is not None), default=None)
    cut: tuple[int, int] | None = None  # (score, feed id) of the highest last row of a cut range
    candidates = []  # (score, feed id, source index, post, raw score, value)
    for index, read in enumerate(reads):
        last_f = None
        for post, raw_score, value in read.rows:
            if not value:
                continue
            score, fid = int(raw_score), _fid(value)
            last_f = fid
            if not (cur_s is not None and score == cur_s and fid >= cur_f):
                candidates.append((score, fid, index, post, raw_score, value))
        if read.full and last_f is not None:
            last = (int(read.rows[-1][1]), last_f)
            cut = last if cut is None or last > cut else cut
    candidates = [
        c for c in candidates if not (horizon is not None and c[0] <= horizon) and not (cut is not None and c[:2] < cut)
    ]
    if len(reads) > 1 and candidates:
        candidates = _newest_entries_only(reads, candidates)
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    complete = horizon is None and cut is None
    if len(candidates) < want - 1 and not complete:
        return None
    return [entry_of(post, raw_score, value) for _, _, _, post, raw_score, value in candidates[:want]], complete


def _newest_entries_only(reads: list[_Read], candidates: list[tuple]) -> list[tuple]:
    """The candidates whose post no other timeline holds at a newer entry (an equal entry counts
    once, from the first timeline): scores and values looked up in one pipeline."""
    posts = sorted({c[3] for c in candidates})
    pipe = client().pipeline(transaction=False)
    for read in reads:
        pipe.zmscore(read.keys[0], posts)
        pipe.hmget(read.keys[1], posts)
    found = pipe.execute()
    held = []  # per timeline: post -> (score, feed id)
    for i in range(len(reads)):
        scores, values = found[2 * i], found[2 * i + 1]
        held.append(
            {
                post: (int(score), _fid(value) if value else 0)
                for post, score, value in zip(posts, scores, values, strict=True)
                if score is not None
            }
        )
    kept = []
    for c in candidates:
        entry = (c[0], c[1])
        if not any(
            other != c[2] and post_at is not None and (post_at > entry or (post_at == entry and other < c[2]))
            for other, post_at in ((other, held[other].get(c[3])) for other in range(len(reads)))
        ):
            kept.append(c)
    return kept


def recent_entries(account_id: int) -> list[FeedEntry]:
    """The account's newest own entries: from its user timeline when built, else the database."""
    z, m, _ = user_keys(account_id)
    conn = client()
    if conn.hexists(m, "_b"):
        rows = conn.zrevrange(z, 0, max_entries() - 1, withscores=True)
        values = conn.hmget(m, [post for post, _ in rows]) if rows else []
        return [entry_of(post, score, value) for (post, score), value in zip(rows, values, strict=True) if value]
    return with_authors(compute_page([account_id], None, max_entries()).entries)


def request_rebuild(*, home_id: int | None = None, user_id: int | None = None) -> None:
    """Ask once for a rebuild (the "being rebuilt" marker doubles as the lock)."""
    marker = home_keys(home_id)[2] if home_id is not None else user_keys(user_id)[2]
    if client().set(marker, 1, nx=True, ex=BUILDING_SECONDS):
        rebuild_wanted.send(sender=__name__, home_id=home_id, user_id=user_id)


# --- Building from the database -------------------------------------------------------------


def with_authors(entries: list[FeedEntry]) -> list[FeedEntry]:
    """The entries with their posts' authors (which the timelines store), those of posts gone left
    out."""
    authors = dict(Post.objects.filter(pk__in={e.post_id for e in entries}).values_list("id", "author_id"))
    return [
        FeedEntry(e.post_id, e.entry_at, e.feed_id, e.retweeted_by_id, authors[e.post_id])
        for e in entries
        if e.post_id in authors
    ]


def _load(keys: tuple[str, str, str], source_ids: list[int], merged: list[int]) -> int:
    conn = client()
    # From now on fan-out writes land in the timeline being built, so nothing committed while the
    # database is read below is missed; a removal meanwhile (an unfollow, a deleted post) takes the
    # marker away instead, and this build is dropped (the next read starts another).
    token = secrets.token_hex(8)
    conn.set(keys[2], token, ex=BUILDING_SECONDS)
    page = compute_page(source_ids, None, rebuild_entries())
    entries = with_authors(page.entries)
    horizon = str(micros(entries[-1].entry_at)) if page.next_cursor is not None and entries else ""
    args: list = [max_entries(), ttl_seconds(), horizon, ",".join(map(str, merged)), token]
    for entry in entries:
        args += script_args(entry)
    if not scripts().load(keys=list(keys), args=args):
        logger.info("timeline %s changed while it was built; built again on its next read", keys[0])
        return 0
    return len(entries)


def stop_builds(markers: Iterable[str]) -> None:
    """Called after a removal commits: builds under way may have read the database before it."""
    markers = list(markers)
    if markers:
        client().delete(*markers)


def rebuild_home(user_id: int) -> int:
    """The user's home timeline from the database: their own entries and those of the accounts
    they follow, except celebrities, which are merged in at read time."""
    followees = list(
        Follow.objects.filter(follower_id=user_id).values_list("followee_id", "followee__profile__followers_count")
    )
    celebrities = sorted(f for f, count in followees if is_celebrity(count or 0))
    sources = sorted({user_id, *(f for f, count in followees if not is_celebrity(count or 0))})
    return _load(home_keys(user_id), sources, celebrities)


def rebuild_user(user_id: int) -> int:
    return _load(user_keys(user_id), [user_id], [])
