# ruff: noqa: S603, S607, S311 - starts our own redis-server/uvicorn/celery; random picks of test users
"""A faulted minute of mixed load (``make chaos``): does the stack lose anything it acknowledged?

It starts its own stack on loopback, as production runs it: a Redis (AOF ``appendonly yes``,
``appendfsync everysec``) on a free port in a temporary folder, the web server (uvicorn with the
compose file's arguments, 2 workers), a Celery worker (prefork, a fixed ``-n`` name) and Celery beat
(the outbox drain every ``OUTBOX_DRAIN_SECONDS`` = 5 s, resending what has been queued for
``OUTBOX_RESEND_QUEUED_SECONDS`` = 10 s), on the PostgreSQL database of ``DATABASE_URL`` (recreated
by the Makefile target), with ``FEED_BACKEND=redis``.

It seeds 20 users with follows, then 8 client threads act as those users for ``CHAOS_DURATION``
seconds (60): posting (with mentions and replies), liking and unliking, following and unfollowing,
reading feeds, post lists and notifications. At fixed offsets it injects:

- the Celery worker SIGKILLed (its whole process group) and started again under the same name;
- Redis shut down and started again on its data (the AOF);
- Redis shut down and started again on an empty folder (everything it held is gone: queues,
  timelines, cache);
- the service's database connections cut (``pg_terminate_backend`` of every other connection to
  this database, three times a second apart).

Every answered write is recorded with what it owes. After the load it lets the stack settle
(``CHAOS_SETTLE_SECONDS``, 120 at most, polling) and checks through the database, Redis and the API:
no acknowledged post lost; every current like, follow, reply and mention has its notification, once;
every user's home feed (the API, every page) holds exactly the posts of the accounts they follow now
and their own, once each; every user's Redis home timeline holds the same as the database says; the
outbox is empty; every error (a 5xx or a connection error) happened inside a fault window (from the
fault to ``RECOVERY_SECONDS`` after it ended). Any other answer than the expected one is a failure
anywhere. It writes bench/CHAOS.md and exits 1 on any failure.
"""

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BASE_DIR, HOST, free_port, log, manage, percentile, server_env, stop_server

DURATION = float(os.environ.get("CHAOS_DURATION", "60"))
SETTLE_SECONDS = float(os.environ.get("CHAOS_SETTLE_SECONDS", "120"))
THREADS = 8
USERS = 20
SEED_FOLLOWS = 5
RECOVERY_SECONDS = 5.0
REQUEST_TIMEOUT = 20.0
# Fault offsets as fractions of the run (at 60 s: 8, 20, 32, 44 s).
FAULTS = [
    (0.13, "worker_kill", "Celery worker SIGKILLed, started again under the same name 3 s later"),
    (0.33, "redis_restart_with_data", "Redis shut down (AOF fsynced), started again on its data 3 s later"),
    (0.53, "redis_restart_empty", "Redis shut down, started again on an empty folder 3 s later"),
    (0.73, "db_cut", "the service's PostgreSQL connections terminated (3 times, 1 s apart)"),
]
DOWN_SECONDS = 3.0

MIX = {
    "post": 0.17,
    "like": 0.13,
    "unlike": 0.06,
    "follow": 0.08,
    "unfollow": 0.05,
    "feed": 0.31,
    "notifications": 0.12,
    "post_list": 0.08,
}
OK = {
    "post": {201},
    "like": {200},
    "unlike": {200},
    "follow": {200, 201},
    "unfollow": {200},
    "feed": {200},
    "notifications": {200},
    "post_list": {200},
}


# --- The stack ------------------------------------------------------------------------------


class Stack:
    """Redis, uvicorn, a Celery worker and beat, each a process group we start and stop."""

    def __init__(self, tmp: Path, env: dict[str, str]):
        self.tmp = tmp
        self.env = env
        self.redis_port = free_port()
        self.web_port = free_port()
        self.redis_dir = tmp / "redis-0"
        self.redis_dirs = 0
        self.redis: subprocess.Popen | None = None
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.worker_starts = 0
        self.worker_name = "chaos@127.0.0.1"
        self.logs = tmp / "logs"
        self.logs.mkdir()
        # Held while a fault stops and starts a process on purpose, so the supervisor leaves it be.
        self.lock = threading.Lock()
        self.supervising = False
        self.restarts: list[str] = []

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.redis_port}/0"

    def _spawn(self, args: list[str], log_name: str, env: dict | None = None) -> subprocess.Popen:
        with open(self.logs / log_name, "ab") as out:
            return subprocess.Popen(
                args, cwd=BASE_DIR, env=env or self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    # Redis: AOF only, fsynced every second, as README asks of production.
    def start_redis(self) -> None:
        self.redis_dir.mkdir(exist_ok=True)
        self.redis = self._spawn(
            [
                "redis-server", "--bind", HOST, "--port", str(self.redis_port), "--dir", str(self.redis_dir),
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no",
                "--protected-mode", "no",
            ],
            "redis.log",
        )  # fmt: skip
        self._wait(lambda: self._redis_cli("ping") == "PONG", 20, "redis-server did not start")

    def _redis_cli(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", HOST, "-p", str(self.redis_port), *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout.strip()

    def stop_redis(self, *, keep_data: bool) -> None:
        # SHUTDOWN fsyncs the AOF (and exits); NOSAVE would only skip an RDB snapshot (none configured).
        self._redis_cli("shutdown") if keep_data else self._redis_cli("shutdown", "nosave")
        self.redis.wait(timeout=20)
        if not keep_data:
            self.redis_dirs += 1
            self.redis_dir = self.tmp / f"redis-{self.redis_dirs}"

    def start_web(self) -> None:
        prom = self.tmp / "prometheus-web"
        prom.mkdir(exist_ok=True)
        # docker-compose.yml's `web` command, on loopback.
        self.web = self._spawn(
            [
                sys.executable, "-m", "uvicorn", "mini_twitter.asgi:application", f"--host={HOST}",
                f"--port={self.web_port}", "--workers=2", "--proxy-headers", "--forwarded-allow-ips=*",
                "--lifespan=off", "--no-access-log",
            ],
            "web.log",
            # Under ASGI Django keeps a persistent connection per request thread; they pile up past
            # PostgreSQL's max_connections. One connection per request (a connection pool does better).
            env={**self.env, "PROMETHEUS_MULTIPROC_DIR": str(prom), "CONN_MAX_AGE": "0"},
        )  # fmt: skip

        def healthy() -> bool:
            if self.web.poll() is not None:
                raise SystemExit(f"uvicorn exited; see {self.logs / 'web.log'}")
            try:
                conn = http.client.HTTPConnection(HOST, self.web_port, timeout=2)
                conn.request("GET", "/healthz")
                return conn.getresponse().status == 200
            except OSError:
                return False

        self._wait(healthy, 60, "uvicorn did not answer /healthz")

    def start_worker(self) -> None:
        self.worker_starts += 1
        log_name = f"worker-{self.worker_starts}.log"
        prom = self.tmp / "prometheus-worker"
        shutil.rmtree(prom, ignore_errors=True)
        prom.mkdir()
        queues = f"{self.env['CELERY_DEFAULT_QUEUE']},{self.env['CELERY_EMAIL_QUEUE']}"
        # docker-compose.yml's `worker` command, with a fixed name (a container keeps its host name).
        self.worker = self._spawn(
            [
                sys.executable, "-m", "celery", "-A", "mini_twitter", "worker", "-Q", queues, "--loglevel=INFO",
                "--concurrency=2", "--pool=prefork", "-n", self.worker_name,
            ],
            log_name,
            env={**self.env, "LOG_LEVEL": "INFO", "PROMETHEUS_MULTIPROC_DIR": str(prom)},
        )  # fmt: skip
        path = self.logs / log_name
        self._wait(lambda: b" ready" in path.read_bytes(), 60, f"celery worker did not start; see {path}")

    def kill_worker(self) -> None:
        """SIGKILL the worker and its pool processes at once, as the kernel's OOM killer or a
        container kill would."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(timeout=20)

    def start_beat(self) -> None:
        self.beat = self._spawn(
            [
                sys.executable, "-m", "celery", "-A", "mini_twitter", "beat", "--loglevel=INFO",
                f"--schedule={self.tmp / 'celerybeat-schedule'}",
            ],
            "beat.log",
            env={**self.env, "LOG_LEVEL": "INFO"},
        )  # fmt: skip

    def supervise(self, started: float) -> None:
        """Start again, as compose's ``restart: unless-stopped`` does, a worker, beat or web server
        that exited on its own (not by a fault of ours)."""
        self.supervising = True
        starters = {"worker": self.start_worker, "beat": self.start_beat, "web": self.start_web}

        def watch() -> None:
            while self.supervising:
                time.sleep(1)
                with self.lock:
                    for name, start in starters.items():
                        proc = getattr(self, name)
                        if self.supervising and proc is not None and proc.poll() is not None:
                            at = time.monotonic() - started
                            note = f"{at:.1f} s: {name} exited on its own (code {proc.returncode}); started again"
                            log(f"  {note}")
                            self.restarts.append(note)
                            start()

        threading.Thread(target=watch, daemon=True).start()

    def stop(self) -> None:
        self.supervising = False
        for proc in (self.web, self.beat, self.worker):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if self.redis is not None and self.redis.poll() is None:
            stop_server(self.redis)

    @staticmethod
    def _wait(condition, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise SystemExit(message)


def cut_database_connections(database_url: str) -> int:
    """Terminate every other connection to this (dedicated) database: the web's, worker's and beat's."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for (done,) in rows if done)


# --- Load -----------------------------------------------------------------------------------


@dataclass
class Window:
    name: str
    description: str
    start: float
    end: float = 0.0
    note: str = ""

    @property
    def until(self) -> float:
        return self.end + RECOVERY_SECONDS

    def covers(self, t0: float, t1: float) -> bool:
        return t0 <= self.until and t1 >= self.start


@dataclass
class Outcome:
    name: str
    user: int
    t0: float
    t1: float
    status: int  # 0: no answer (connection error, timeout)
    detail: str = ""


@dataclass
class Ledger:
    """What the load did and what its acknowledged writes owe."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: list[Outcome] = field(default_factory=list)
    posts: dict[int, dict] = field(default_factory=dict)  # id -> author, reply_to, mentioned
    # (user, post) / (follower, followee) -> the last action's state: True, False, or None (unknown:
    # the request got no answer, so it may or may not have happened).
    likes: dict[tuple[int, int], bool | None] = field(default_factory=dict)
    follows: dict[tuple[int, int], bool | None] = field(default_factory=dict)


class Client:
    def __init__(self, port: int, tokens: dict[int, str]):
        self.port = port
        self.tokens = tokens
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)

    def request(self, method: str, path: str, user: int, body: dict | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.tokens[user]}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
            return 0, repr(exc).encode()


def act(client: Client, rng: random.Random, user: int, users: list[int], usernames: dict, ledger: Ledger, t):
    """One request as ``user``; records its outcome and, when acknowledged, what it owes."""
    name = rng.choices(list(MIX), list(MIX.values()))[0]
    with ledger.lock:
        known_posts = list(ledger.posts)
    if name in ("like", "unlike") and not known_posts:
        name = "post"
    other = rng.choice([u for u in users if u != user])
    detail = ""
    t0 = t()
    if name == "post":
        mentioned = rng.sample([u for u in users if u != user], k=rng.choice([0, 0, 1, 2]))
        reply_to = rng.choice(known_posts) if known_posts and rng.random() < 0.3 else None
        words = " ".join(f"@{usernames[m]}" for m in mentioned)
        body = {"content": f"chaos {rng.randrange(10**9)} #chaos {words}".strip()}
        if reply_to is not None:
            body["reply_to"] = reply_to
        status, payload = client.request("POST", "/api/posts/", user, body)
        if status == 201:
            post_id = json.loads(payload)["id"]
            with ledger.lock:
                ledger.posts[post_id] = {"author": user, "reply_to": reply_to, "mentioned": mentioned}
        detail = f"reply_to={reply_to} mentions={mentioned}"
    elif name in ("like", "unlike"):
        post_id = rng.choice(known_posts)
        status, payload = client.request("POST", f"/api/posts/{post_id}/{name}/", user)
        with ledger.lock:
            ledger.likes[(user, post_id)] = (name == "like") if status == 200 else None
        detail = f"post={post_id}"
    elif name in ("follow", "unfollow"):
        status, payload = client.request("POST", f"/api/users/{other}/{name}/", user)
        with ledger.lock:
            ledger.follows[(user, other)] = (name == "follow") if status in OK[name] else None
        detail = f"user={other}"
    elif name == "feed":
        status, payload = client.request("GET", "/api/posts/feed/", user)
    elif name == "notifications":
        status, payload = client.request("GET", "/api/notifications/", user)
    else:
        status, payload = client.request("GET", "/api/posts/?page_size=20", user)
    t1 = t()
    if status not in OK[name]:
        detail = f"{detail} {payload[:300]!r}".strip()
    with ledger.lock:
        ledger.outcomes.append(Outcome(name, user, t0, t1, status, detail))


def run_load(stack: Stack, users: list[int], usernames: dict, tokens: dict, database_url: str) -> tuple:
    ledger = Ledger()
    windows: list[Window] = []
    started = time.monotonic()
    deadline = started + DURATION

    def t() -> float:
        return time.monotonic() - started

    def client_thread(index: int) -> None:
        rng = random.Random(1000 + index)
        mine = [u for i, u in enumerate(users) if i % THREADS == index]  # each user acts in one thread
        client = Client(stack.web_port, tokens)
        while time.monotonic() < deadline:
            act(client, rng, rng.choice(mine), users, usernames, ledger, t)
        client.conn.close()

    def inject(name: str, description: str) -> None:
        window = Window(name, description, t())
        windows.append(window)
        log(f"  {window.start:5.1f} s  FAULT {name}: {description}")
        if name == "worker_kill":
            with stack.lock:
                stack.kill_worker()
                time.sleep(DOWN_SECONDS)
                stack.start_worker()
        elif name.startswith("redis_restart"):
            keys = stack._redis_cli("dbsize")
            stack.stop_redis(keep_data=name == "redis_restart_with_data")
            time.sleep(DOWN_SECONDS)
            stack.start_redis()
            window.note = f"{keys} keys before, {stack._redis_cli('dbsize')} after"
        else:
            cut = []
            for i in range(3):
                if i:
                    time.sleep(1)
                cut.append(cut_database_connections(database_url))
            window.note = f"connections terminated: {' + '.join(map(str, cut))}"
        window.end = t()
        log(f"  {window.end:5.1f} s  fault over ({window.note or 'ok'}); errors allowed until {window.until:.1f} s")

    def progress() -> None:
        while time.monotonic() < deadline:
            time.sleep(5)
            with ledger.lock:
                total = len(ledger.outcomes)
                failed = sum(1 for o in ledger.outcomes if o.status not in OK[o.name])
                posts = len(ledger.posts)
            rate = total / max(t(), 0.1)
            log(f"  {t():5.1f} s  {total:6d} requests  {rate:6.1f} req/s  {failed} errors  {posts} posts")

    log(f"load: {THREADS} threads as {len(users)} users for {DURATION:.0f} s")
    threads = [threading.Thread(target=client_thread, args=(i,), daemon=True) for i in range(THREADS)]
    reporter = threading.Thread(target=progress, daemon=True)
    reporter.start()
    for thread in threads:
        thread.start()
    for fraction, name, description in FAULTS:
        time.sleep(max(0.0, started + fraction * DURATION - time.monotonic()))
        inject(name, description)
    for thread in threads:
        thread.join(timeout=DURATION + 2 * REQUEST_TIMEOUT)
    return ledger, windows, t()


# --- Verification ---------------------------------------------------------------------------


def expected_notifications(ledger: Ledger, seeded: list[tuple[int, int]]) -> tuple[dict, list[str]]:
    """(recipient, dedupe_key) -> what owes it, for every acknowledged write whose state is known
    at the end; the database tells the current state of likes and follows (a like or follow undone
    before its task ran notifies nobody, by contract)."""
    from posts.models import Like
    from users.models import Follow

    owed: dict[tuple[int, str], str] = {}
    problems: list[str] = []
    for post_id, info in ledger.posts.items():
        author, parent = info["author"], None
        if info["reply_to"] is not None:
            parent = ledger.posts[info["reply_to"]]["author"]
            if parent != author:
                owed[(parent, f"reply:{post_id}")] = f"reply {post_id}"
        for user in info["mentioned"]:
            if user not in (author, parent):
                owed[(user, f"mention:{post_id}")] = f"mention in {post_id}"
    likes = set(Like.objects.values_list("user_id", "post_id"))
    for (user, post_id), state in ledger.likes.items():
        if state is None:
            continue
        if state != ((user, post_id) in likes):
            problems.append(f"like {user}->{post_id}: acknowledged {'like' if state else 'unlike'}, db disagrees")
        if state and ledger.posts[post_id]["author"] != user:
            owed[(ledger.posts[post_id]["author"], f"like:{user}:{post_id}")] = f"like {user}->{post_id}"
    follows = set(Follow.objects.values_list("follower_id", "followee_id"))
    states = dict.fromkeys(seeded, True) | ledger.follows
    for (follower, followee), state in states.items():
        if state is None:
            continue
        if state != ((follower, followee) in follows):
            problems.append(f"follow {follower}->{followee}: acknowledged {state}, db disagrees")
        if state:
            owed[(followee, f"follow:{follower}")] = f"follow {follower}->{followee}"
    return owed, problems


def check_notifications(ledger: Ledger, seeded) -> list[str]:
    from django.db.models import Count

    from notifications.models import Notification

    owed, problems = expected_notifications(ledger, seeded)
    have = Counter(
        {
            (row["recipient_id"], row["dedupe_key"]): row["n"]
            for row in Notification.objects.values("recipient_id", "dedupe_key").annotate(n=Count("id"))
        }
    )
    for key, what in owed.items():
        if have[key] == 0:
            problems.append(f"missing notification {key[1]} for user {key[0]} ({what})")
        elif have[key] > 1:
            problems.append(f"{have[key]} notifications {key[1]} for user {key[0]} ({what})")
    return problems


def expected_feeds(users: list[int]) -> dict[int, set[int]]:
    """Each user's home feed by the database's rule (FEED_BACKEND=db): their own posts and those of
    the accounts they follow now (the load makes no retweets)."""
    from posts.models import Post
    from users.models import Follow

    sources = {u: {u} for u in users}
    for follower, followee in Follow.objects.values_list("follower_id", "followee_id"):
        sources[follower].add(followee)
    by_author = defaultdict(set)
    for post_id, author in Post.objects.values_list("id", "author_id"):
        by_author[author].add(post_id)
    return {u: set().union(*(by_author[s] for s in sources[u])) for u in users}


def check_redis_timelines(redis_url: str, expected: dict[int, set[int]]) -> list[str]:
    """Each home timeline in Redis (``tl:h:<user>``) must be built and hold exactly the database's
    feed (above its horizon, if it has one)."""
    import redis

    from posts.feed import timelines

    conn = redis.Redis.from_url(redis_url, socket_timeout=5)
    problems = []
    for user, want in expected.items():
        z, m, _ = timelines.home_keys(user)
        if not conn.hexists(m, "_b"):
            problems.append(f"user {user}: Redis home timeline not built")
            continue
        horizon = conn.hget(m, "_h")
        members = {int(p): s for p, s in conn.zrange(z, 0, -1, withscores=True)}
        if horizon is not None:
            # Entries at or below the horizon are read from the database: only those above count.
            members = {p: s for p, s in members.items() if s > float(horizon)}
            missing = set()
        else:
            missing = want - set(members)
        extra = set(members) - want
        if missing:
            problems.append(f"user {user}: Redis timeline lacks posts {sorted(missing)[:10]} ({len(missing)})")
        if extra:
            problems.append(f"user {user}: Redis timeline has posts it should not {sorted(extra)[:10]} ({len(extra)})")
    return problems


def read_feed(port: int, token: str) -> tuple[list[int], str | None]:
    """Every page of the user's feed through the API: post ids in order, or an error."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    path, ids = "/api/posts/feed/?page_size=100", []
    try:
        for _ in range(100):
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200:
                return ids, f"feed page answered {response.status}: {payload[:200]!r}"
            body = json.loads(payload)
            ids += [item["id"] for item in body["results"]]
            if not body["next"]:
                return ids, None
            parts = urlsplit(body["next"])
            path = f"{parts.path}?{parts.query}"
        return ids, "more than 100 feed pages"
    except (OSError, http.client.HTTPException) as exc:
        return ids, f"feed read failed: {exc!r}"
    finally:
        conn.close()


def check_api_feeds(port: int, tokens: dict, expected: dict[int, set[int]]) -> list[str]:
    problems = []
    for user, want in expected.items():
        ids, error = read_feed(port, tokens[user])
        if error:
            problems.append(f"user {user}: {error}")
            continue
        dupes = [p for p, n in Counter(ids).items() if n > 1]
        if dupes:
            problems.append(f"user {user}: feed repeats posts {dupes[:10]}")
        if missing := want - set(ids):
            problems.append(f"user {user}: feed lacks posts {sorted(missing)[:10]} ({len(missing)})")
        if extra := set(ids) - want:
            problems.append(f"user {user}: feed has posts it should not {sorted(extra)[:10]} ({len(extra)})")
    return problems


def verify(stack: Stack, ledger: Ledger, seeded, users, tokens) -> dict:
    """All the checks once; {name: [problems]}."""
    from django.db import connection

    from outbox.models import OutboxTask
    from posts.models import Post

    connection.close()  # a fresh connection each round (the load cut the old ones)
    stored = set(Post.objects.filter(pk__in=list(ledger.posts)).values_list("id", flat=True))
    lost = sorted(set(ledger.posts) - stored)
    expected = expected_feeds(users)
    # The API first: a read of a timeline Redis lost schedules its rebuild.
    api = check_api_feeds(stack.web_port, tokens, expected)
    outbox = list(OutboxTask.objects.values_list("name", "attempts", "worker")[:20])
    return {
        "acknowledged posts stored": [f"post {p} lost" for p in lost],
        "notifications (likes, follows, replies, mentions)": check_notifications(ledger, seeded),
        "home feeds through the API": api,
        "Redis home timelines": check_redis_timelines(stack.redis_url, expected),
        "outbox empty": [f"outbox row {row}" for row in outbox],
    }


def window_errors(ledger: Ledger, windows: list[Window]) -> tuple[list[Outcome], list[Outcome]]:
    """(errors inside a fault window, failures outside: any unexpected answer, or a 4xx anywhere)."""
    inside, outside = [], []
    for o in ledger.outcomes:
        if o.status in OK[o.name]:
            continue
        faulty = o.status == 0 or o.status >= 500
        if faulty and any(w.covers(o.t0, o.t1) for w in windows):
            inside.append(o)
        else:
            outside.append(o)
    return inside, outside


# --- Main -----------------------------------------------------------------------------------


def seed(users_count: int) -> tuple[list[int], dict[int, str], list[tuple[int, int]]]:
    from users.models import User
    from users.services import follow_create, user_create

    rng = random.Random(7)
    users = [
        user_create(username=f"chaos_{i:02d}", email=f"chaos_{i:02d}@example.com", password="chaos-pass-1234")  # noqa: S106 - throwaway users
        for i in range(users_count)
    ]
    seeded = []
    for user in users:
        for other in rng.sample([u for u in users if u.pk != user.pk], SEED_FOLLOWS):
            follow_create(follower=user, followee=other)
            seeded.append((user.pk, other.pk))
    names = dict(User.objects.filter(pk__in=[u.pk for u in users]).values_list("id", "username"))
    return [u.pk for u in users], names, seeded


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a dedicated PostgreSQL database; `make chaos` does")
    tmp = Path(tempfile.mkdtemp(prefix="mt-chaos-"))
    env = server_env()
    stack = Stack(tmp, env)
    env.update(
        {
            "REDIS_URL": stack.redis_url,
            "FEED_BACKEND": "redis",
            "OUTBOX_DRAIN_SECONDS": "5",
            "OUTBOX_RESEND_QUEUED_SECONDS": "10",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CHANNELS_PREFIX": "chaos-asgi",
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ.update(env)
    try:
        log(f"stack in {tmp}: redis :{stack.redis_port}, uvicorn :{stack.web_port}, worker {stack.worker_name}")
        stack.start_redis()
        manage(env, "migrate", "--noinput", "-v", "0")
        os.environ["DJANGO_SETTINGS_MODULE"] = "mini_twitter.settings.production"
        sys.path.insert(0, str(BASE_DIR))
        import django

        django.setup()
        from django.db import connection
        from rest_framework_simplejwt.tokens import AccessToken

        from users.models import User

        log(f"seeding {USERS} users, {SEED_FOLLOWS} follows each")
        users, usernames, seeded = seed(USERS)
        # From the stored users: a token carries a fingerprint of its user's password (revocation).
        tokens = {uid: str(AccessToken.for_user(user)) for uid, user in User.objects.in_bulk(users).items()}
        connection.close()
        stack.start_web()
        stack.start_worker()
        stack.start_beat()
        stack.supervise(time.monotonic())

        ledger, windows, load_seconds = run_load(stack, users, usernames, tokens, database_url)
        log(f"load over after {load_seconds:.0f} s; settling (at most {SETTLE_SECONDS:.0f} s)")
        settle_started = time.monotonic()
        while True:
            results = verify(stack, ledger, seeded, users, tokens)
            open_problems = sum(len(v) for v in results.values())
            waited = time.monotonic() - settle_started
            if not open_problems or waited > SETTLE_SECONDS:
                break
            log(f"  settling {waited:5.1f} s: " + ", ".join(f"{k}: {len(v)}" for k, v in results.items() if v))
            log("    e.g. " + "; ".join(v[0] for v in results.values() if v))
            time.sleep(3)
        settled = time.monotonic() - settle_started
        inside, outside = window_errors(ledger, windows)
        report = render(ledger, windows, results, inside, outside, load_seconds, settled, open_problems == 0)
        report += (
            "\n## Processes restarted by the supervisor\n\n"
            + ("\n".join(f"- {note}" for note in stack.restarts) if stack.restarts else "- none")
            + "\n"
        )
        (BASE_DIR / "bench" / "CHAOS.md").write_text(report)
        print(report)
        failed = open_problems or outside
        if failed:
            log(f"FAILED; logs in {stack.logs}")
        return 1 if failed else 0
    finally:
        stack.stop()
        if os.environ.get("CHAOS_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def render(ledger, windows, results, inside, outside, load_seconds, settled, converged) -> str:
    outcomes = ledger.outcomes
    total = len(outcomes)
    passed = converged and not outside
    lines = [
        "# Chaos test",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Result: **{'PASS' if passed else 'FAIL'}**",
        f"- {THREADS} client threads as {USERS} users for {load_seconds:.0f} s over loopback: uvicorn (2 workers), "
        "a prefork Celery worker (2 processes) and beat (outbox drain every 5 s, resend after 10 s queued), "
        "PostgreSQL, Redis with AOF (`appendfsync everysec`), FEED_BACKEND=redis",
        f"- {total} requests ({total / load_seconds:.1f} req/s), {len(ledger.posts)} posts, "
        f"{sum(1 for o in outcomes if o.name in ('like', 'unlike'))} likes/unlikes, "
        f"{sum(1 for o in outcomes if o.name in ('follow', 'unfollow'))} follows/unfollows acknowledged or tried",
        f"- Errors inside fault windows: {len(inside)}; failures outside them: **{len(outside)}**",
        f"- Settled (every check below passing) {settled:.0f} s after the load"
        if converged
        else f"- Not settled after {settled:.0f} s",
        "",
        "## Faults",
        "",
        "| fault | start s | end s | errors allowed until s | requests | errors | p99 ms | note |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for w in windows:
        during = [o for o in outcomes if w.covers(o.t0, o.t1)]
        errors = [o for o in during if o.status not in OK[o.name]]
        lat = [o.t1 - o.t0 for o in during]
        p99 = round(1000 * percentile(lat, 99)) if lat else "-"
        lines.append(
            f"| {w.description} | {w.start:.1f} | {w.end:.1f} | {w.until:.1f} | {len(during)} | {len(errors)} "
            f"| {p99} | {w.note} |"
        )
    quiet = [o for o in outcomes if not any(w.covers(o.t0, o.t1) for w in windows)]
    lat = [o.t1 - o.t0 for o in quiet]
    lines.append(
        f"| (outside the windows) | | | | {len(quiet)} | {sum(1 for o in quiet if o.status not in OK[o.name])} "
        f"| {round(1000 * percentile(lat, 99)) if lat else '-'} | |"
    )
    lines += ["", "## Requests", "", "| request | requests | errors | statuses |", "|---|--:|--:|---|"]
    for name in MIX:
        mine = [o for o in outcomes if o.name == name]
        statuses = Counter(o.status for o in mine)
        lines.append(
            f"| {name} | {len(mine)} | {sum(1 for o in mine if o.status not in OK[name])} | "
            + ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(statuses.items()))
            + " |"
        )
    lines += ["", "## Verification (after the load)", ""]
    for name, problems in results.items():
        lines.append(f"- {name}: {'ok' if not problems else f'**{len(problems)} problems**'}")
        lines += [f"  - {p}" for p in problems[:10]]
    if inside or outside:
        lines += ["", "## Error samples", ""]
        for label, group in (("inside a window", inside), ("OUTSIDE the windows", outside)):
            for o in group[:8]:
                lines.append(
                    f"- {label}: {o.t0:.1f}-{o.t1:.1f} s {o.name} → {o.status or 'no answer'} {o.detail[:200]}"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
