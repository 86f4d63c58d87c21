# ruff: noqa: S603, S607, S311 - starts our own manage.py/gunicorn (and git rev-parse); random picks of test users
"""HTTP benchmark of mini_twitter on PostgreSQL + Redis (``make bench``, ``make bench-quick``).

It migrates the database named by ``DATABASE_URL``, seeds it with ``manage.py seed_demo`` (which
only tops up, so reruns are quick), starts gunicorn (2 sync workers, ``DEBUG=0``, throttling
effectively off) on a loopback port (``--port``, ``BENCH_PORT``, else a free one) and runs each
scenario under concurrent load for a bounded time and number of requests:

    me            GET  /api/users/me/                 baseline: auth + one user read
    feed_cold     GET  /api/posts/feed/               each request a different user, feed keys flushed
    feed_warm     GET  /api/posts/feed/               a fixed set of users, after a warm-up
    feed_warm_blocking  the same, by 20 users who each block 500 and mute 500 accounts (10 of
                        the 100 they follow)
    mastodon_home_warm  GET /api/v1/timelines/home    the warm feed's users through the Mastodon API
                        (OAuth tokens), same timelines and cached representations
    trending      GET  /api/posts/trending_hashtags/  (cached 60 s by the app)
    post_detail, post_replies, user_posts (?author=), hashtag_posts, notifications, conversations,
    conversation_messages, followers, following, user_search (?type=users): the native reads
    search_common, search_rare   GET /api/search/?q=WORD&type=posts, words in ~3 % / ~0.05 % of posts
    microblog_feed, microblog_me, microblog_user   GET /api/tweets, /api/users/me, /api/users/{id}
                  (the microblog API, ``api-key`` header)
    mastodon_status, _context, _account_statuses, _notifications, _followers, _tag_timeline,
    _trends, _search (/api/v2/search, statuses, common words): the Mastodon API (OAuth tokens)
    post_create   POST /api/posts/                    two hashtags and a mention
    like, retweet, follow   POST …/like/ or …/unlike/ (and so on) on many (actor, target) pairs,
                  each request the opposite of its pair's current state, so every one writes

The read scenarios of the notifications, conversations and microblog API use 50 readers given
40 notifications, 3 conversations of 30 messages and an API key each (made once, topped up).

Each scenario with a target (``TARGETS``: ratios of throughput and p99 to ``me`` in the same run,
and a query limit for ``post_create``) is printed against it at the end, pass or MISS, and written
to the results; a miss makes the exit status 1 (``--no-fail``: 0, for exploratory runs).

For each: requests per second, p50/p99 latency, errors (anything but the expected status) and
queries per request, counted in this process with ``CaptureQueriesContext`` by making the same
request through Django's test client against the same database and Redis (same cache state:
cold, warm). It prints a table and writes ``bench/results.json``, ``bench/RESULTS.md`` and, for
the slowest SELECTs of each scenario, ``bench/EXPLAIN.md`` (``EXPLAIN (ANALYZE, BUFFERS)``).

Sizes and load come from flags or the environment: ``BENCH_USERS`` (10000), ``BENCH_POSTS``
(2000000), ``BENCH_FOLLOWS`` (200), ``BENCH_DURATION`` seconds per scenario (15),
``BENCH_CONCURRENCY`` client threads (8), ``BENCH_MAX_REQUESTS`` per scenario (20000).
``--quick`` means 2000 users, 100000 posts, 100 follows and 8 s per scenario.

``make bench`` runs this twice: first ``--only timelines`` on a second database with the same users
and follows but 100,000 posts (``--name small``), then everything on the large one with
``--compare-posts bench/results.small.json``, so feed latency against total posts comes from one
``make bench``.
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
HOST = "127.0.0.1"


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


def log(message: str) -> None:
    print(message, flush=True)


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when given (``--port``, ``BENCH_PORT``: a port range of one's own on a shared
    machine), else one the system picks."""
    with socket.socket() as sock:
        sock.bind((HOST, preferred or 0))
        return sock.getsockname()[1]


# --- Targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A scenario's target, as ratios to ``me`` (``GET /api/users/me/``) in the same run, so it
    holds on any machine: throughput at least ``rps`` times /me's, p99 at most ``p99`` times /me's,
    at most ``queries`` queries in one request; and no errors."""

    rps: float | None = None
    p99: float | None = None
    queries: int | None = None


READ = Target(rps=0.5, p99=3)
POST_SEARCH = Target(rps=0.3, p99=5)
WRITE = Target(rps=0.5)
# Every scenario with a target; the rest (``me`` itself, the timeline groups) are reported only.
TARGETS: dict[str, Target] = {
    "feed_cold": Target(rps=0.3),
    "feed_warm": Target(rps=0.7, p99=3),
    "feed_warm_blocking": READ,
    "mastodon_home_warm": READ,
    "post_detail": READ,
    "post_replies": READ,
    "user_posts": READ,
    "hashtag_posts": READ,
    "trending": READ,
    "notifications": READ,
    "conversations": READ,
    "conversation_messages": READ,
    "followers": READ,
    "following": READ,
    "user_search": READ,
    "search_common": POST_SEARCH,
    "search_rare": POST_SEARCH,
    "microblog_feed": READ,
    "microblog_me": READ,
    "microblog_user": READ,
    "mastodon_status": READ,
    "mastodon_context": READ,
    "mastodon_account_statuses": READ,
    "mastodon_notifications": READ,
    "mastodon_followers": READ,
    "mastodon_tag_timeline": READ,
    "mastodon_trends": READ,
    "mastodon_search": POST_SEARCH,
    "post_create": Target(rps=0.4, queries=6),
    "like": WRITE,
    "retweet": WRITE,
    "follow": WRITE,
}


def judge(rows: list[dict]) -> list[dict]:
    """Each targeted scenario of ``rows`` against its target: the ratios to ``me`` and, per
    criterion, whether it was met."""
    by = {r["scenario"]: r for r in rows}
    me = by.get("me")
    verdicts = []
    for row in rows:
        target = TARGETS.get(row["scenario"])
        if target is None:
            continue
        rps_ratio = row["rps"] / me["rps"] if me and me["rps"] else None
        p99_ratio = row["p99_ms"] / me["p99_ms"] if me and me["p99_ms"] and row["p99_ms"] else None
        misses = []
        if row["errors"]:
            misses.append(f"{row['errors']} errors")
        if target.rps is not None and (rps_ratio is None or rps_ratio < target.rps):
            misses.append("throughput")
        if target.p99 is not None and (p99_ratio is None or p99_ratio > target.p99):
            misses.append("p99")
        if target.queries is not None and row["queries_per_request"] > target.queries:
            misses.append("queries")
        verdicts.append(
            {
                "scenario": row["scenario"],
                "rps": row["rps"],
                "rps_ratio": round(rps_ratio, 2) if rps_ratio is not None else None,
                "rps_target": target.rps,
                "p99_ms": row["p99_ms"],
                "p99_ratio": round(p99_ratio, 2) if p99_ratio is not None else None,
                "p99_target": target.p99,
                "queries": row["queries_per_request"],
                "queries_target": target.queries,
                "errors": row["errors"],
                "misses": misses,
                "passed": not misses,
            }
        )
    return verdicts


def verdict_cells(v: dict) -> list[str]:
    def ratio(value, target, sign):
        shown = "n/a" if value is None else f"{value:.2f}"
        return shown + (f" ({sign} {target:g})" if target is not None else "")

    return [
        v["scenario"],
        str(v["rps"]),
        ratio(v["rps_ratio"], v["rps_target"], "≥"),
        str(v["p99_ms"]),
        ratio(v["p99_ratio"], v["p99_target"], "≤"),
        str(v["queries"]) + (f" (≤ {v['queries_target']})" if v["queries_target"] is not None else ""),
        str(v["errors"]),
        "pass" if v["passed"] else "MISS: " + ", ".join(v["misses"]),
    ]


VERDICT_TITLES = ["scenario", "req/s", "× /me req/s", "p99 ms", "× /me p99", "queries/req", "errors", "verdict"]


def verdict_table(verdicts: list[dict]) -> str:
    cells = [VERDICT_TITLES] + [verdict_cells(v) for v in verdicts]
    widths = [max(len(row[i]) for row in cells) for i in range(len(VERDICT_TITLES))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def verdict_markdown(verdicts: list[dict], me: dict | None) -> list[str]:
    if not verdicts:
        return []
    missed = [v["scenario"] for v in verdicts if not v["passed"]]
    out = [
        "## Targets",
        "",
        f"Ratios to `GET /api/users/me/` in this run ({me['rps']} req/s, p99 {me['p99_ms']} ms); "
        "the target in brackets. "
        + (f"**{len(missed)} of {len(verdicts)} missed**: {', '.join(missed)}." if missed else
           f"**All {len(verdicts)} met.**"),
        "",
        "| " + " | ".join(VERDICT_TITLES) + " |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]  # fmt: skip
    out += ["| " + " | ".join(verdict_cells(v)) + " |" for v in verdicts]
    return [*out, ""]


# --- Setup: environment, migrate, seed, server ---------------------------------------------


def server_env() -> dict[str, str]:
    """The environment of every process we start (and of this one, for the in-process checks)."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or "bench-throwaway-" + secrets.token_hex(16),
        "ALLOWED_HOSTS": HOST,
        "THROTTLE_RATE_ANON": "1000000/min",
        "THROTTLE_RATE_USER": "1000000/min",
        "SECURE_SSL_REDIRECT": "0",
        "JWT_ACCESS_MINUTES": "240",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "mini_twitter.settings.production",
        "PYTHONUNBUFFERED": "1",
        # Our own queues, so no other worker on this Redis takes the benchmark's tasks.
        "CELERY_DEFAULT_QUEUE": "bench_default",
        "CELERY_EMAIL_QUEUE": "bench_email",
        "FEED_BACKEND": os.environ.get("FEED_BACKEND") or "redis",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    """The HTTP server as production runs it: docker-compose.yml's ``web`` command line (gunicorn,
    2 sync workers), on ``HOST:port``."""
    from tests.support.compose import local_command

    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed with it
    server = subprocess.Popen(
        local_command("web", port),
        cwd=BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    log_file.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


WORKER_PROCESSES = 2


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """A Celery worker with 2 processes on the benchmark's queues (fan-out, rebuilds, notifications)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_bytes(b"")
    log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed with it
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "mini_twitter", "worker", "--pool=prefork",
            f"--concurrency={WORKER_PROCESSES}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-Q", "bench_default,bench_email", "-n", f"bench-{os.getpid()}@%h",
        ],
        cwd=BASE_DIR, env={**env, "LOG_LEVEL": "INFO"}, stdout=log_file, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log_file.close()
    deadline = time.monotonic() + 60
    while b"ready" not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_server(worker)
            raise SystemExit(f"celery worker did not start; see {log_path}")
        time.sleep(0.3)
    return worker


# --- Load generation ------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    token: str
    body: dict | None = None
    auth: str = "bearer"  # or "api-key": the microblog API's header


def auth_headers(req: Request) -> dict[str, str]:
    if req.auth == "api-key":
        return {"api-key": req.token}
    return {"Authorization": f"Bearer {req.token}"}


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    error_samples: list[str] = field(default_factory=list)


def run_load(
    name: str,
    port: int,
    make: Callable[[int], "Request"],
    *,
    expected: int | frozenset[int],
    duration: float,
    max_requests: int,
    concurrency: int,
) -> LoadResult:
    """``concurrency`` threads send ``make(i)`` for i = 0, 1, … until ``max_requests`` were sent or
    ``duration`` seconds passed; each thread keeps its own connection (reopened when the server
    closes it, as gunicorn's sync workers do). ``expected``: the status (or statuses) of success."""
    expected = frozenset([expected]) if isinstance(expected, int) else expected
    result = LoadResult()
    lock = threading.Lock()
    next_index = [0]
    started = time.perf_counter()
    deadline = started + duration
    done = threading.Event()

    def take() -> int | None:
        with lock:
            i = next_index[0]
            if i >= max_requests or time.perf_counter() >= deadline:
                return None
            next_index[0] += 1
            return i

    def worker():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while (i := take()) is not None:
            req = make(i)
            headers = {**auth_headers(req), "Accept": "application/json"}
            body = None
            if req.body is not None:
                body = json.dumps(req.body).encode()
                headers["Content-Type"] = "application/json"
            t0 = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                with lock:
                    result.errors += 1
                    result.statuses[0] = result.statuses.get(0, 0) + 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(repr(exc))
                continue
            latency = time.perf_counter() - t0
            with lock:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status in expected:
                    result.latencies.append(latency)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(f"{status}: {payload[:200]!r}")
        conn.close()

    def progress():
        while not done.wait(2.0):
            elapsed = time.perf_counter() - started
            with lock:
                count, errors = len(result.latencies), result.errors
            log(
                f"    {name}: {elapsed:5.1f} s  {count + errors:6d} requests  "
                f"{count / elapsed:7.1f} req/s  {errors} errors"
            )

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    reporter = threading.Thread(target=progress, daemon=True)
    reporter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    done.set()
    reporter.join()
    return result


def path_shape(path: str) -> str:
    """``/api/posts/123/?q=word`` -> ``/api/posts/{id}/?q=…``: the endpoint, for the tables."""
    base, _, query = path.partition("?")
    base = re.sub(r"/[0-9]+(?=/|$)", "/{id}", base)
    base = re.sub(r"^(/api/hashtags/|/api/v1/timelines/tag/)[^/]+", r"\1{name}", base)
    if query:
        base += "?" + "&".join(f"{part.split('=')[0]}=…" for part in query.split("&"))
    return base


def load_figures(result: "LoadResult", measured: dict) -> dict:
    """A scenario's numbers for the results table: the load run's and the in-process measurement's."""
    lat = result.latencies
    return {
        "requests": len(lat) + result.errors,
        "ok": len(lat),
        "errors": result.errors,
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "seconds": round(result.elapsed, 2),
        "rps": round(len(lat) / result.elapsed, 1) if result.elapsed else 0.0,
        "p50_ms": round(1000 * percentile(lat, 50), 1) if lat else None,
        "p99_ms": round(1000 * percentile(lat, 99), 1) if lat else None,
        "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else None,
        "queries_per_request": measured["queries"],
        "queries_samples": measured["queries_all"],
        "single_request_ms": round(measured["ms"], 1),
        "error_samples": result.error_samples,
    }


def percentile(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


# --- In-process measurements: queries per request, EXPLAIN ---------------------------------


def measure_in_process(client, req: Request | Callable[[], Request], prepare=None, repeat: int = 3) -> dict:
    """Send ``req`` ``repeat`` times through Django's test client, counting queries (after
    ``prepare()``, which sets the cache state); a callable gives a new request each time (a write
    that would be a no-op repeated, such as a like). Returns the median count and time and the
    queries of the slowest run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, times, slowest = [], [], (0.0, [], 0)
    make = req if callable(req) else lambda: req
    for _ in range(repeat):
        if prepare:
            prepare()
        req = make()
        headers = {key.lower(): value for key, value in auth_headers(req).items()}
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            if req.method == "GET":
                response = client.get(req.path, headers=headers)
            else:
                response = client.post(req.path, data=req.body, content_type="application/json", headers=headers)
            took = time.perf_counter() - t0
        counts.append(len(captured.captured_queries))
        times.append(took)
        if took >= slowest[0]:
            slowest = (took, list(captured.captured_queries), response.status_code)
    return {
        "queries": int(statistics.median(counts)),
        "queries_all": counts,
        "ms": 1000 * statistics.median(times),
        "captured": slowest[1],
        "status": slowest[2],
    }


def explain_slowest(captured: list[dict], top: int = 3) -> list[dict]:
    from django.db import connection

    selects = [q for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    selects.sort(key=lambda q: float(q["time"]), reverse=True)
    plans = []
    with connection.cursor() as cursor:
        for query in selects[:top]:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plans.append(
                {"ms": 1000 * float(query["time"]), "sql": query["sql"], "plan": "\n".join(r[0] for r in cursor)}
            )
    return plans


# --- Home timelines: latency against followees and posts, fan-out -----------------------------

FOLLOWEE_GROUPS = (100, 5000)
GROUP_USERS = 40


def mastodon_token(user) -> str:
    """A new Mastodon API access token of ``user``, from a "bench" OAuth app (made once)."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model, get_application_model, set_token_value

    application, _ = get_application_model().objects.get_or_create(
        name="bench",
        defaults={
            "client_type": "confidential",
            "authorization_grant_type": "password",
            "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
        },
    )
    raw = secrets.token_urlsafe(32)
    access_token = get_access_token_model()(
        user=user, application=application, scope="read write follow", expires=timezone.now() + timedelta(days=1)
    )
    set_token_value(access_token, raw)
    access_token.save()
    return raw


def ensure_followee_groups(seeded: list[int]) -> dict[int, list[int]]:
    """``GROUP_USERS`` users following ~100 and as many following ~5,000 seeded accounts (at most
    all of them), named ``tlbench_f<N>_<i>``; made once, reused by later runs."""
    from django.utils import timezone

    from demo.bulk import BulkWriter, fast_transaction
    from users.models import Follow, Profile, User

    now = timezone.now()
    groups = {}
    for wanted in FOLLOWEE_GROUPS:
        size = min(wanted, len(seeded))
        ids = []
        for i in range(GROUP_USERS):
            username = f"tlbench_f{wanted}_{i:02d}"
            user = User.objects.filter(username=username).first() or User.objects.create_user(
                username=username, email=f"{username}@example.com", password=None
            )
            ids.append(user.pk)
            chosen = set(Follow.objects.filter(follower=user).values_list("followee_id", flat=True))
            if len(chosen) < size:
                new = [f for f in random.Random(username).sample(seeded, size) if f not in chosen]
                with fast_transaction():
                    BulkWriter(Follow, ["follower_id", "followee_id", "created_at"], 20000).write(
                        [(user.pk, f, now) for f in new[: size - len(chosen)]]
                    )
                Profile.objects.filter(pk=user.pk).update(following_count=Follow.objects.filter(follower=user).count())
        groups[wanted] = ids
    return groups


BLOCKING_USERS = 20
BLOCKS_EACH = MUTES_EACH = 500
MUTED_FOLLOWEES = 10  # of the 100 accounts each follows


def ensure_blocking_viewers(seeded: list[int]) -> list[int]:
    """``BLOCKING_USERS`` users ``tlbench_blocker_<i>`` following ~100 seeded accounts, each blocking
    ``BLOCKS_EACH`` accounts they don't follow and muting ``MUTES_EACH``, ``MUTED_FOLLOWEES`` of them
    among their followees (so the feed has entries to leave out); made once, reused by later runs."""
    from django.utils import timezone

    from demo.bulk import BulkWriter, fast_transaction
    from users.models import Block, Follow, Mute, Profile, User

    now = timezone.now()
    ids = []
    for i in range(BLOCKING_USERS):
        username = f"tlbench_blocker_{i:02d}"
        user = User.objects.filter(username=username).first() or User.objects.create_user(
            username=username, email=f"{username}@example.com", password=None
        )
        ids.append(user.pk)
        if Mute.objects.filter(muter=user).exists():
            continue
        rng = random.Random(username)
        picked = rng.sample(seeded, min(len(seeded), 100 + BLOCKS_EACH + MUTES_EACH))
        followees, blocked, muted_others = picked[:100], picked[100 : 100 + BLOCKS_EACH], picked[100 + BLOCKS_EACH :]
        muted = followees[:MUTED_FOLLOWEES] + muted_others[: MUTES_EACH - MUTED_FOLLOWEES]
        with fast_transaction():
            BulkWriter(Follow, ["follower_id", "followee_id", "created_at"], 20000).write(
                [(user.pk, f, now) for f in followees]
            )
            BulkWriter(Block, ["blocker_id", "blocked_id", "created_at"], 20000).write(
                [(user.pk, b, now) for b in blocked]
            )
            BulkWriter(Mute, ["muter_id", "muted_id", "notifications", "created_at"], 20000).write(
                [(user.pk, m, True, now) for m in muted]
            )
        Profile.objects.filter(pk=user.pk).update(following_count=len(followees))
    return ids


READERS = 50
NOTIFICATIONS_EACH = 40
CONVERSATIONS_EACH, MESSAGES_EACH = 3, 30


def bench_api_key(user_id: int) -> str:
    """The microblog API key of a reader (fixed, so later runs find it; a benchmark database only)."""
    return f"mt_bench_{user_id}"


def ensure_reader_fixtures(readers: list[int], seeded: list[int]) -> dict[int, list[int]]:
    """What the readers' scenarios read and seeding does not make: ``NOTIFICATIONS_EACH`` like
    notifications on their posts, ``CONVERSATIONS_EACH`` one-to-one conversations of
    ``MESSAGES_EACH`` messages each, and a microblog API key (``bench_api_key``). Tops up only.
    Returns each reader's conversation ids."""
    from datetime import timedelta

    from django.utils import timezone

    from messaging.models import Conversation, Message, Participant, direct_key
    from notifications.models import Notification
    from posts.models import Post
    from users.models import ApiKey, User
    from users.services import api_key_create, api_key_digest

    now = timezone.now()
    conversations = {}
    for reader in readers:
        rng = random.Random(f"bench-reader-{reader}")
        have = Notification.objects.filter(recipient_id=reader).count()
        if have < NOTIFICATIONS_EACH:
            posts = list(Post.objects.filter(author_id=reader).order_by("-id").values_list("id", flat=True)[:20])
            actors = [a for a in rng.sample(seeded, NOTIFICATIONS_EACH * 2) if a != reader]
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient_id=reader, actor_id=actor, type=Notification.Type.LIKE, post_id=post,
                        dedupe_key=f"like:{actor}:{post}", created_at=now - timedelta(minutes=k),
                    )
                    for k, (actor, post) in enumerate(zip(actors, posts * 4, strict=False))
                ][: NOTIFICATIONS_EACH - have],
                ignore_conflicts=True,
            )  # fmt: skip
        others = [o for o in rng.sample(seeded, CONVERSATIONS_EACH + 1) if o != reader][:CONVERSATIONS_EACH]
        ids = []
        for other in others:
            conversation, created = Conversation.objects.get_or_create(
                direct_key=direct_key(reader, other), defaults={"created_by_id": reader, "created_at": now}
            )
            ids.append(conversation.pk)
            if not created:
                continue
            start = now - timedelta(hours=MESSAGES_EACH)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, user_id=uid, last_read_at=start) for uid in (reader, other)]
            )
            messages = Message.objects.bulk_create(
                [
                    Message(
                        conversation=conversation, sender_id=(reader, other)[k % 2],
                        content=f"Message {k} of a benchmark conversation", created_at=start + timedelta(hours=k),
                    )
                    for k in range(MESSAGES_EACH)
                ]
            )  # fmt: skip
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message=messages[-1], updated_at=messages[-1].created_at
            )
        conversations[reader] = ids
        key = bench_api_key(reader)
        if not ApiKey.objects.filter(key_hash=api_key_digest(key)).exists():
            api_key_create(user=User.objects.get(pk=reader), name="bench", key=key)
    return conversations


class Toggle:
    """Requests that each do real work on (actor, target) pairs: a pair's next request is the
    opposite of its current state (like after unlike, and so on), starting from the database's."""

    def __init__(self, pairs: list[tuple[int, int]], on: set[tuple[int, int]]):
        self.pairs = pairs
        self.state = [pair in on for pair in pairs]

    def next(self, i: int) -> tuple[int, int, bool]:
        """The pair of request ``i`` and whether to turn it on. Pairs are many more than the
        requests in flight, so no pair is sent twice at once."""
        k = i % len(self.pairs)
        self.state[k] = turn_on = not self.state[k]
        return (*self.pairs[k], turn_on)


def ensure_fanout_account(n_followers: int) -> tuple[int, list[int]]:
    """``tlbench_star`` followed by ``n_followers`` accounts ``tlbench_fan_NNNNNN`` (written with
    COPY, once) and without posts; returns its id and its followers' ids, ascending."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from demo.bulk import BulkWriter, allocate_ids, chunks, fast_transaction
    from posts.models import Post
    from users.models import Follow, Profile, User
    from users.usernames import username_skeleton

    now = timezone.now()
    star = User.objects.filter(username="tlbench_star").first() or User.objects.create_user(
        username="tlbench_star", email="tlbench_star@example.com", password=None
    )
    Post.objects.filter(author=star).delete()  # earlier runs' posts: the fans' timelines start empty
    fans = list(User.objects.filter(username__startswith="tlbench_fan_").order_by("id").values_list("id", flat=True))
    missing = n_followers - len(fans)
    if missing > 0:
        password = make_password(None)
        users = BulkWriter(
            User, ["id", "username", "username_skeleton", "email", "password", "date_joined", "is_active"], 20000
        )
        profiles = BulkWriter(Profile, ["user_id", "display_name", "bio"], 20000)
        first = len(fans) + 1
        for batch in chunks(list(zip(range(first, first + missing), allocate_ids(User, missing), strict=True)), 20000):
            with fast_transaction():
                users.write(
                    [
                        (uid, name, username_skeleton(name), f"{name}@example.com", password, now, True)
                        for i, uid in batch
                        for name in [f"tlbench_fan_{i:06d}"]
                    ]
                )
                profiles.write([(uid, "", "") for _, uid in batch])
            fans += [uid for _, uid in batch]
    fans = sorted(fans)[:n_followers]
    have = set(Follow.objects.filter(followee=star).values_list("follower_id", flat=True))
    todo = [(uid, star.pk, now) for uid in fans if uid not in have]
    for batch in chunks(todo, 20000):
        with fast_transaction():
            BulkWriter(Follow, ["follower_id", "followee_id", "created_at"], 20000).write(batch)
    Profile.objects.filter(pk=star.pk).update(followers_count=Follow.objects.filter(followee=star).count())
    return star.pk, sorted(Follow.objects.filter(followee=star).values_list("follower_id", flat=True))


def activate_timelines(user_ids: list[int]) -> None:
    """Give these users the (empty) home timeline a rebuild gives someone who follows only an
    account without posts: they count as active, so fan-out writes to them."""
    from django.conf import settings

    from posts.feed import timelines

    conn, load = timelines.client(), timelines.scripts().load
    ttl = settings.TIMELINE_ACTIVE_DAYS * 86400
    for start in range(0, len(user_ids), 5000):
        chunk = user_ids[start : start + 5000]
        pipe = conn.pipeline(transaction=False)
        for user_id in chunk:
            z, m, b = timelines.home_keys(user_id)
            pipe.unlink(z)  # a key a command: a cluster's pipeline takes no more
            pipe.unlink(m)
            pipe.set(b, "bench", ex=60)  # the build's token (see posts.feed.timelines)
        pipe.execute()
        timelines.run(
            (load, timelines.home_keys(user_id), [settings.TIMELINE_MAX_ENTRIES, ttl, "", "", "bench"])
            for user_id in chunk
        )


def count_holding(post_id: int, user_ids: list[int]) -> int:
    from posts.feed import timelines

    conn, held = timelines.client(), 0
    for start in range(0, len(user_ids), 10000):
        pipe = conn.pipeline(transaction=False)
        for user_id in user_ids[start : start + 10000]:
            pipe.zscore(timelines.home_keys(user_id)[0], post_id)
        held += sum(score is not None for score in pipe.execute())
    return held


def wait_for_idle_worker(queues: list[str], timeout: float = 300) -> None:
    """Until the worker has nothing left to do (the queues empty, no task running or reserved):
    earlier scenarios' tasks (fan-out of their posts, timeline rebuilds) must not count."""
    from mini_twitter.celery import app

    def queued(conn, name: str) -> int:
        try:
            with conn.channel() as channel:
                return channel.queue_declare(queue=name, passive=True).message_count
        except conn.channel_errors:
            return 0  # never declared: it holds nothing

    deadline = time.monotonic() + timeout
    with app.connection_for_write() as conn:
        while time.monotonic() < deadline:
            if not sum(queued(conn, name) for name in queues):
                inspect = app.control.inspect(timeout=1)
                busy = [*((inspect.active() or {}).values()), *((inspect.reserved() or {}).values())]
                if not any(busy):
                    return
            time.sleep(0.5)
    raise SystemExit("the Celery worker did not finish its tasks in time")


def measure_fanout(port: int, token: str, fans: list[int], batch: int, timeout: float = 180) -> dict:
    """Post as the account through the server and wait until every follower's timeline holds the
    post. While waiting, only the last follower of each fan-out batch is polled (a batch is one
    pipeline); then every timeline is checked."""
    sample = [fans[min(i + batch, len(fans)) - 1] for i in range(0, len(fans), batch)]
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    body = json.dumps({"content": "A post for my 100,000 followers #bench"}).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request("POST", "/api/posts/", body=body, headers=headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    if response.status != 201:
        raise SystemExit(f"fan-out post failed: {response.status} {payload}")
    post_id, post_ms = payload["id"], 1000 * (time.perf_counter() - t0)
    while count_holding(post_id, sample) < len(sample) and time.perf_counter() - t0 < timeout:
        time.sleep(0.02)
    while (held := count_holding(post_id, fans)) < len(fans) and time.perf_counter() - t0 < timeout:
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    return {
        "followers": len(fans),
        "reached": held,
        "batches": len(sample),
        "batch_size": batch,
        "workers": WORKER_PROCESSES,
        "post_request_ms": round(post_ms, 1),
        "seconds": round(seconds, 2),
        "inserts_per_s_per_worker": round(held / seconds / WORKER_PROCESSES),
    }


def wait_until_built(user_ids: list[int], timeout: float = 120) -> None:
    from posts.feed import timelines

    conn = timelines.client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pipe = conn.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.hexists(timelines.home_keys(user_id)[1], "_b")
        if all(pipe.execute()):
            return
        time.sleep(0.2)
    raise SystemExit("timelines were not rebuilt in time (is the Celery worker running?)")


# --- Main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2000 users, 100000 posts, 100 follows, 8 s each")
    parser.add_argument("--users", type=int)
    parser.add_argument("--posts", type=int)
    parser.add_argument("--follows", type=int)
    parser.add_argument("--duration", type=float, help="seconds per scenario")
    parser.add_argument("--concurrency", type=int, help="client threads")
    parser.add_argument("--max-requests", type=int, help="requests per scenario at most")
    parser.add_argument("--skip-seed", action="store_true", help="use the data already in the database")
    parser.add_argument("--no-explain", action="store_true", help="do not write bench/EXPLAIN.md")
    parser.add_argument("--only", help="comma-separated scenario names to run")
    parser.add_argument("--no-timelines", action="store_true", help="skip the home timeline measurements")
    parser.add_argument("--fanout-followers", type=int, help="followers of the fan-out account (0: skip)")
    parser.add_argument("--name", help="write bench/results.NAME.json and bench/RESULTS.NAME.md")
    parser.add_argument("--port", type=int, help="serve on this loopback port (default: BENCH_PORT, else any free one)")
    parser.add_argument("--no-fail", action="store_true", help="exit 0 even when a scenario misses its target")
    parser.add_argument(
        "--compare-posts",
        type=Path,
        help="results of the same groups on a smaller data set (made just before by the same `make bench`): "
        "report feed p99 against total posts",
    )
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK") == "1"
    args.quick = quick
    if args.fanout_followers is None:
        args.fanout_followers = env_int("BENCH_FANOUT_FOLLOWERS", 0 if quick else 100_000)
    args.users = args.users or env_int("BENCH_USERS", 2000 if quick else 10000)
    args.posts = args.posts if args.posts is not None else env_int("BENCH_POSTS", 100000 if quick else 2000000)
    args.follows = args.follows or env_int("BENCH_FOLLOWS", 100 if quick else 200)
    args.duration = args.duration or float(env_int("BENCH_DURATION", 8 if quick else 15))
    args.concurrency = args.concurrency or env_int("BENCH_CONCURRENCY", 8)
    args.max_requests = args.max_requests or env_int("BENCH_MAX_REQUESTS", 20000)
    args.port = args.port or env_int("BENCH_PORT", 0) or None
    return args


def main() -> int:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url.startswith("redis://"):
        raise SystemExit("bench needs DATABASE_URL=postgres://… and REDIS_URL=redis://… (see `make bench`).")
    env = server_env()
    os.environ.update(env)  # this process: same settings, same JWT signing key as the server
    os.environ["DJANGO_SETTINGS_MODULE"] = "mini_twitter.settings.production"
    started = time.monotonic()

    log(f"== bench: {database_url.rsplit('@', 1)[-1]}, redis {redis_url.rsplit('@', 1)[-1]}")
    log("== migrate")
    manage(env, "migrate", "--noinput", "-v", "0")
    seed_seconds = None
    if not args.skip_seed:
        log(f"== seed_demo --users {args.users} --posts {args.posts} --follows {args.follows} (tops up only)")
        t0 = time.monotonic()
        manage(
            env,
            "seed_demo",
            f"--users={args.users}",
            f"--posts={args.posts}",
            f"--follows={args.follows}",
        )
        seed_seconds = time.monotonic() - t0

    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    import redis
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    from demo.seeding import FIRST_NAMES, WORDS, vocabulary
    from posts.models import Hashtag, Like, Post, PostHashtag, Retweet
    from users.models import Follow, Profile, User

    rng = random.Random(1234)
    sizes = {
        "users": User.objects.count(),
        "follows": Follow.objects.count(),
        "posts": Post.objects.count(),
        "likes": Like.objects.count(),
        "retweets": Retweet.objects.count(),
        "hashtags": Hashtag.objects.count(),
        "post_hashtags": PostHashtag.objects.count(),
    }
    log("== data: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    seeded = list(
        User.objects.filter(username__regex=r"^seed_[0-9]{6,}$", is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if len(seeded) < 100:
        raise SystemExit("need at least 100 seeded users")
    celebrities = set(seeded[:5])
    pool = [u for u in seeded if u not in celebrities]
    rng.shuffle(pool)
    warm_ids, create_ids, cold_ids = pool[:50], pool[50:550], pool[550:]
    users = User.objects.in_bulk(seeded)
    tokens: dict[int, str] = {}

    def token(user_id: int) -> str:
        if user_id not in tokens:
            tokens[user_id] = str(AccessToken.for_user(users[user_id]))
        return tokens[user_id]

    oauth_tokens: dict[int, str] = {}

    def oauth_token(user_id: int) -> str:
        """A Mastodon API access token of the user (django-oauth-toolkit's, stored hashed)."""
        if user_id not in oauth_tokens:
            oauth_tokens[user_id] = mastodon_token(users[user_id])
        return oauth_tokens[user_id]

    redis_client = redis.Redis.from_url(redis_url)
    from django.conf import settings

    from posts.feed import timelines

    # Seeding bypasses fan-out, so timelines of earlier runs may be stale: every one is rebuilt.
    redis_client.delete("bench_default", "bench_email")
    log(f"== flushed {timelines.clear_all():,} timeline keys")
    run_timelines = not args.no_timelines and (not args.only or "timelines" in args.only.split(","))
    groups, star_id, fans = {}, None, []
    if run_timelines:
        log(
            "== timeline users: following ~100 and ~5,000 accounts"
            + (f", an account with {args.fanout_followers:,} followers" if args.fanout_followers else "")
        )
        groups = ensure_followee_groups(seeded)
        if args.fanout_followers:
            star_id, fans = ensure_fanout_account(args.fanout_followers)
        users.update(
            User.objects.in_bulk([*(u for ids in groups.values() for u in ids), *([star_id] if star_id else [])])
        )

    def flush_feed_keys() -> int:
        return timelines.unlink_matching(redis_client, "*feed:*")

    log(f"== {BLOCKING_USERS} users blocking {BLOCKS_EACH} and muting {MUTES_EACH} accounts each")
    blocking_ids = ensure_blocking_viewers(seeded)
    users.update(User.objects.in_bulk(blocking_ids))

    # The seeded posts' words (demo.seeding, seed 42) are Zipf-distributed, real words first.
    # Common: real words in ~3 % of posts each (none an English stop word, which search ignores);
    # rare: made-up words of rank 2,100 to 2,400, in ~0.05 % of posts each.
    words = [w for w in vocabulary(2500, random.Random("42:words"), WORDS) if len(w) > 3]
    search_words = {"common": ["time", "today", "good", "people", "work"], "rare": words[-400::80]}
    trending_tags = [t["name"] for t in Hashtag.objects.order_by("-posts_count").values("name")[:20]] or ["bench"]
    me_ids = pool[:500]
    readers = me_ids[:READERS]
    log(f"== {READERS} readers: notifications, conversations, microblog API keys")
    conversations = ensure_reader_fixtures(readers, seeded)
    open_ids = set(Profile.objects.filter(pk__in=seeded, is_protected=False).values_list("pk", flat=True))
    public = Post.objects.filter(visibility=Post.Visibility.PUBLIC, author_id__in=open_ids)
    # Recent public posts (the ones clients open), and some with replies (the thread views).
    recent = list(public.order_by("-id").values_list("id", "author_id")[:20000])
    threads = list(public.filter(replies_count__gt=0).order_by("-id").values_list("id", flat=True)[:500]) or [
        recent[0][0]
    ]
    authors = [u for u in pool[:2000] if u in open_ids]

    def viewer(i):
        return token(me_ids[i % len(me_ids)])

    def reader(i):
        return readers[i % len(readers)]

    def get(path):
        return lambda i: Request("GET", path(i), viewer(i))

    def get_mastodon(path, who=None):
        return lambda i: Request("GET", path(i), oauth_token((who or reader)(i)))

    def get_microblog(path):
        return lambda i: Request("GET", path(i), bench_api_key(reader(i)), auth="api-key")

    def post_id(i):
        return recent[(i * 7919) % len(recent)][0]

    def thread(i):
        return threads[i % len(threads)]

    def author(i):
        return authors[(i * 31) % len(authors)]

    def tag(i):
        return trending_tags[i % len(trending_tags)]

    def search_path(kind, base="/api/search/", type_="posts"):
        return lambda i: f"{base}?{urlencode({'q': search_words[kind][i % 5], 'type': type_})}"

    def me(i):
        return Request("GET", "/api/users/me/", token(me_ids[i % len(me_ids)]))

    def trending(i):
        return Request("GET", "/api/posts/trending_hashtags/", viewer(i))

    def feed_cold(i):
        return Request("GET", "/api/posts/feed/", token(cold_ids[i % len(cold_ids)]))

    def feed_warm(i):
        return Request("GET", "/api/posts/feed/", token(warm_ids[i % len(warm_ids)]))

    def feed_warm_blocking(i):
        return Request("GET", "/api/posts/feed/", token(blocking_ids[i % len(blocking_ids)]))

    def mastodon_home_warm(i):
        return Request("GET", "/api/v1/timelines/home", oauth_token(warm_ids[i % len(warm_ids)]))

    def post_create(i):
        author = create_ids[i % len(create_ids)]
        mentioned = users[seeded[(i * 7919) % len(seeded)]].username
        tag = trending_tags[i % len(trending_tags)]
        content = f"Benchmark post {i} from the load test, about #{tag} and #bench{i % 50}, hi @{mentioned}"
        return Request("POST", "/api/posts/", token(author), {"content": content})

    # Writes: (actor, target) pairs, each request the opposite of the pair's current state.
    actors = create_ids[:100]
    targets = [pid for pid, aid in recent[:4000] if aid not in set(actors)]
    post_pairs = [(actors[k % len(actors)], targets[k % len(targets)]) for k in range(len(targets))]
    follow_pairs = [
        (actors[k % len(actors)], followee)
        for k, followee in enumerate(u for u in seeded[::-1] if u in open_ids and u not in set(actors))
    ][:4000]
    toggles = {
        "like": Toggle(post_pairs, set(Like.objects.filter(user_id__in=actors).values_list("user_id", "post_id"))),
        "retweet": Toggle(
            post_pairs, set(Retweet.objects.filter(user_id__in=actors).values_list("user_id", "post_id"))
        ),
        "follow": Toggle(
            follow_pairs, set(Follow.objects.filter(follower_id__in=actors).values_list("follower_id", "followee_id"))
        ),
    }
    toggle_paths = {
        "like": ("/api/posts/{}/like/", "/api/posts/{}/unlike/"),
        "retweet": ("/api/posts/{}/retweet/", "/api/posts/{}/unretweet/"),
        "follow": ("/api/users/{}/follow/", "/api/users/{}/unfollow/"),
    }

    def toggle(kind):
        def make(i):
            actor, target, on = toggles[kind].next(i)
            return Request("POST", toggle_paths[kind][0 if on else 1].format(target), token(actor))

        return make

    names = [n for n in FIRST_NAMES if len(n) > 2]
    # (name, request maker, expected status(es), max requests, prepare before load, in-process prepare)
    scenarios = [
        ("me", me, 200, args.max_requests, None, None),
        ("feed_cold", feed_cold, 200, min(args.max_requests, len(cold_ids)), flush_feed_keys, flush_feed_keys),
        ("feed_warm", feed_warm, 200, args.max_requests, "warm", None),
        ("feed_warm_blocking", feed_warm_blocking, 200, args.max_requests, "warm", None),
        ("mastodon_home_warm", mastodon_home_warm, 200, args.max_requests, "warm", None),
        ("post_detail", get(lambda i: f"/api/posts/{post_id(i)}/"), 200, args.max_requests, None, None),
        ("post_replies", get(lambda i: f"/api/posts/{thread(i)}/replies/"), 200, args.max_requests, None, None),
        ("user_posts", get(lambda i: f"/api/posts/?author={author(i)}"), 200, args.max_requests, None, None),
        ("hashtag_posts", get(lambda i: f"/api/hashtags/{tag(i)}/posts/"), 200, args.max_requests, None, None),
        ("trending", trending, 200, args.max_requests, None,
         lambda: cache.delete("posts:trending")),
        ("notifications", lambda i: Request("GET", "/api/notifications/", token(reader(i))), 200,
         args.max_requests, None, None),
        ("conversations", lambda i: Request("GET", "/api/messages/", token(reader(i))), 200,
         args.max_requests, None, None),
        ("conversation_messages", lambda i: Request(
            "GET", f"/api/messages/{conversations[reader(i)][(i // READERS) % CONVERSATIONS_EACH]}/messages/",
            token(reader(i))), 200, args.max_requests, None, None),
        ("followers", get(lambda i: f"/api/users/{author(i)}/followers/"), 200, args.max_requests, None, None),
        ("following", get(lambda i: f"/api/users/{author(i)}/following/"), 200, args.max_requests, None, None),
        ("user_search", get(lambda i: f"/api/search/?{urlencode({'q': names[i % len(names)], 'type': 'users'})}"),
         200, args.max_requests, None, None),
        ("search_common", get(search_path("common")), 200, args.max_requests, None, None),
        ("search_rare", get(search_path("rare")), 200, args.max_requests, None, None),
        ("microblog_feed", get_microblog(lambda i: "/api/tweets"), 200, args.max_requests, None, None),
        ("microblog_me", get_microblog(lambda i: "/api/users/me"), 200, args.max_requests, None, None),
        ("microblog_user", get_microblog(lambda i: f"/api/users/{author(i)}"), 200, args.max_requests, None, None),
        ("mastodon_status", get_mastodon(lambda i: f"/api/v1/statuses/{post_id(i)}"), 200, args.max_requests,
         None, None),
        ("mastodon_context", get_mastodon(lambda i: f"/api/v1/statuses/{thread(i)}/context"), 200,
         args.max_requests, None, None),
        ("mastodon_account_statuses", get_mastodon(lambda i: f"/api/v1/accounts/{author(i)}/statuses"), 200,
         args.max_requests, None, None),
        ("mastodon_notifications", get_mastodon(lambda i: "/api/v1/notifications"), 200, args.max_requests,
         None, None),
        ("mastodon_followers", get_mastodon(lambda i: f"/api/v1/accounts/{author(i)}/followers"), 200,
         args.max_requests, None, None),
        ("mastodon_tag_timeline", get_mastodon(lambda i: f"/api/v1/timelines/tag/{tag(i)}"), 200,
         args.max_requests, None, None),
        ("mastodon_trends", get_mastodon(lambda i: "/api/v1/trends/tags"), 200, args.max_requests, None, None),
        ("mastodon_search", get_mastodon(search_path("common", "/api/v2/search", "statuses")), 200,
         args.max_requests, None, None),
        ("post_create", post_create, 201, args.max_requests, None, None),
        ("like", toggle("like"), 200, args.max_requests, None, None),
        ("retweet", toggle("retweet"), 200, args.max_requests, None, None),
        ("follow", toggle("follow"), frozenset({200, 201}), args.max_requests, None, None),
    ]  # fmt: skip
    if args.only:
        wanted = set(args.only.split(","))
        if wanted & set(TARGETS):
            wanted.add("me")  # every target is a ratio to /me in the same run
        scenarios = [s for s in scenarios if s[0] in wanted]

    # Tokens first, so minting is not part of any measurement.
    for user_id in {*me_ids, *warm_ids, *create_ids, *cold_ids, *blocking_ids}:
        token(user_id)
    for user_id in {*warm_ids, *readers}:
        oauth_token(user_id)

    port = free_port(args.port)
    server_log = BASE_DIR / "var" / "bench-gunicorn.log"
    worker_log = BASE_DIR / "var" / "bench-celery.log"
    log(f"== celery: {WORKER_PROCESSES} worker processes (log {worker_log.relative_to(BASE_DIR)})")
    worker = start_worker(env, worker_log)
    log(
        f"== gunicorn: 2 workers on {HOST}:{port}, FEED_BACKEND={env['FEED_BACKEND']} "
        f"(log {server_log.relative_to(BASE_DIR)})"
    )
    server = start_server(env, port, server_log)
    # Warm both workers up (imports, database and Redis connections) before anything is measured.
    warm_up = run_load(
        "warm-up", port, lambda i: (me if i % 2 else trending)(i), expected=200, duration=5, max_requests=100,
        concurrency=args.concurrency,
    )  # fmt: skip
    log(f"    warm-up: {len(warm_up.latencies)} requests, {warm_up.errors} errors")
    client = Client(SERVER_NAME=HOST)
    rows, explains, fanout = [], {}, None
    try:
        for name, make, expected, max_requests, prepare, in_process_prepare in scenarios:
            log(f"== {name}")
            if prepare == "warm":
                viewers = blocking_ids if name == "feed_warm_blocking" else warm_ids
                for index in range(len(viewers)):  # one request each fills their feed cache
                    warming = make(index)
                    conn = http.client.HTTPConnection(HOST, port, timeout=60)
                    conn.request("GET", warming.path, headers={"Authorization": f"Bearer {warming.token}"})
                    conn.getresponse().read()
                    conn.close()
            elif prepare:
                log(f"    flushed {prepare():,} feed keys")
            result = run_load(
                name,
                port,
                make,
                expected=expected,
                duration=args.duration,
                max_requests=max_requests,
                concurrency=args.concurrency,
            )
            # Same request in this process, same database and cache state, to count queries.
            sample_index = 10**6 + len(rows)  # a request the load did not send (fresh cold user, new post)
            if name == "feed_cold":
                sample = Request("GET", "/api/posts/feed/", token(cold_ids[-1]))
            elif name in ("feed_warm", "feed_warm_blocking", "mastodon_home_warm"):
                sample = make(0)
                client.get(sample.path, headers={"authorization": f"Bearer {sample.token}"})
            else:
                sample = make(sample_index)
            if name in toggles:  # the same request again would be a no-op: the next (unsent) pairs
                samples = iter(range(sample_index + 1, sample_index + 10))
                measured = measure_in_process(
                    client, lambda make=make, samples=samples: make(next(samples)), in_process_prepare
                )
            else:
                measured = measure_in_process(client, sample, in_process_prepare)
            row = {
                "scenario": name,
                "method": sample.method,
                "path": path_shape(sample.path),
                **load_figures(result, measured),
            }
            rows.append(row)
            log(
                f"    {row['requests']} requests, {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
                f"{row['errors']} errors, {row['queries_per_request']} queries/request"
            )
            if not args.no_explain:
                explains[name] = explain_slowest(measured["captured"])

        def feed_group(backend: str, followees: int) -> None:
            """Feed p99 of users who follow ``followees`` accounts, each state warm: Redis timelines built
            (fan-out keeps them current), or the database selector computing every page (its page cache
            would be invalidated by any followee's post)."""
            ids = groups[followees]
            name = f"feed_f{followees}_{backend}"
            log(f"== {name}")

            def make(i):
                return Request("GET", "/api/posts/feed/", token(ids[i % len(ids)]))

            run_load(f"{name} warm-up", port, make, expected=200, duration=60, max_requests=len(ids), concurrency=4)
            if backend == "redis":
                wait_until_built(ids)
            run_load(f"{name} warm-up", port, make, expected=200, duration=60, max_requests=len(ids), concurrency=4)
            result = run_load(
                name, port, make, expected=200, duration=args.duration, max_requests=args.max_requests,
                concurrency=args.concurrency,
            )  # fmt: skip
            saved = settings.FEED_BACKEND, settings.FEED_PAGE_CACHE_SECONDS
            settings.FEED_BACKEND, settings.FEED_PAGE_CACHE_SECONDS = (
                ("redis", 300) if backend == "redis" else ("db", 0)
            )
            try:
                measured = measure_in_process(client, make(0))
            finally:
                settings.FEED_BACKEND, settings.FEED_PAGE_CACHE_SECONDS = saved
            row = {
                "scenario": name,
                "method": "GET",
                "path": "/api/posts/feed/",
                "backend": backend,
                "followees": followees,
                **load_figures(result, measured),
            }
            rows.append(row)
            log(f"    {row['requests']} requests, {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms")

        if run_timelines and env["FEED_BACKEND"] == "redis":
            for followees in FOLLOWEE_GROUPS:
                feed_group("redis", followees)
            if fans:
                log(f"== fan-out: one post by an account with {len(fans):,} followers, all active")
                activate_timelines(fans)
                wait_for_idle_worker([env["CELERY_DEFAULT_QUEUE"], env["CELERY_EMAIL_QUEUE"]])
                fanout = measure_fanout(port, token(star_id), fans, settings.TIMELINE_FANOUT_BATCH)
                log(f"    {fanout}")
            stop_server(server)
            # Pages cached by the Redis phase's database fallback (cold timelines) must not answer here.
            log(f"    flushed {flush_feed_keys():,} feed keys")
            db_env = {**env, "FEED_BACKEND": "db", "FEED_PAGE_CACHE_SECONDS": "0"}
            log("== gunicorn again with FEED_BACKEND=db (the database selector, no page cache)")
            server = start_server(db_env, port, server_log)
            for followees in FOLLOWEE_GROUPS:
                feed_group("db", followees)
    finally:
        stop_server(server)
        stop_server(worker)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        pg_version = cursor.fetchone()[0].split(",")[0]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=BASE_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": commit,
        "requested": {"users": args.users, "posts": args.posts, "follows_per_user": args.follows},
        "data": sizes,
        "seed_seconds": round(seed_seconds, 1) if seed_seconds is not None else None,
        "duration_per_scenario_s": args.duration,
        "max_requests_per_scenario": args.max_requests,
        "concurrency": args.concurrency,
        "server": "gunicorn, 2 sync workers, DEBUG=0, throttling off",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {pg_version}",
        "search_words": search_words,
        "feed_backend": env["FEED_BACKEND"],
        "celery": f"{WORKER_PROCESSES} worker processes (prefork)",
        "timeline_settings": {
            "TIMELINE_MAX_ENTRIES": settings.TIMELINE_MAX_ENTRIES,
            "TIMELINE_FANOUT_BATCH": settings.TIMELINE_FANOUT_BATCH,
            "TIMELINE_CELEBRITY_FOLLOWERS": settings.TIMELINE_CELEBRITY_FOLLOWERS,
        },
        "fanout": fanout,
        "total_seconds": round(time.monotonic() - started, 1),
    }
    suffix = f".{args.name}" if args.name else ".quick" if args.quick else ""
    if args.compare_posts:
        meta["compare_posts"] = json.loads(args.compare_posts.read_text())
    verdicts = judge(rows)
    (BENCH_DIR / f"results{suffix}.json").write_text(
        json.dumps({"meta": meta, "scenarios": rows, "targets": verdicts}, indent=2) + "\n"
    )
    (BENCH_DIR / f"RESULTS{suffix}.md").write_text(markdown(meta, rows, verdicts))
    if explains:
        (BENCH_DIR / "EXPLAIN.md").write_text(explain_markdown(meta, explains))
    log("")
    log(table(rows))
    missed = [v["scenario"] for v in verdicts if not v["passed"]]
    if verdicts:
        log("\nTargets (ratios to GET /api/users/me/ in this run):\n" + verdict_table(verdicts))
        log(
            f"\n{len(missed)} of {len(verdicts)} scenarios missed their target"
            + (f": {', '.join(missed)}" if missed else "")
        )
    log(f"\nwrote bench/results{suffix}.json, bench/RESULTS{suffix}.md" + (", bench/EXPLAIN.md" if explains else ""))
    if any(r["ok"] == 0 for r in rows):
        return 1
    return 1 if missed and not args.no_fail else 0


COLUMNS = [
    ("scenario", "scenario"),
    ("requests", "requests"),
    ("errors", "errors"),
    ("rps", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("queries_per_request", "queries/req"),
    ("single_request_ms", "1 req in-process ms"),
]


def table(rows: list[dict]) -> str:
    cells = [[title for _, title in COLUMNS]] + [[str(r[key]) for key, _ in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(meta: dict, rows: list[dict], verdicts: list[dict]) -> str:
    data = meta["data"]
    out = [
        "# Benchmark results",
        "",
        f"- Date: {meta['date']} (commit {meta['git_commit'] or 'n/a'})",
        f"- Data: {data['users']:,} users, {data['posts']:,} posts, {data['follows']:,} follows, "
        f"{data['likes']:,} likes, {data['retweets']:,} retweets, {data['hashtags']:,} hashtags "
        f"(requested {meta['requested']['users']:,} users / {meta['requested']['posts']:,} posts / "
        f"~{meta['requested']['follows_per_user']} follows each)",
        (
            f"- Seeding in this run: {meta['seed_seconds']} s (top-up only when the data already existed)"
            if meta["seed_seconds"] is not None
            else "- Seeding in this run: skipped (`--skip-seed`: the data already in the database)"
        ),
        f"- Load: {meta['concurrency']} client threads, at most {meta['duration_per_scenario_s']:g} s and "
        f"{meta['max_requests_per_scenario']:,} requests per scenario, over loopback",
        f"- Server: {meta['server']}; {meta['machine']}",
        "- Search words: " + "; ".join(f"{kind}: {', '.join(words)}" for kind, words in meta["search_words"].items()),
        "",
        "| scenario | method path | requests | errors | req/s | p50 ms | p99 ms | queries/req | 1 req in-process ms |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        out.append(
            f"| {r['scenario']} | `{r['method']} {r['path']}` | {r['requests']} | {r['errors']} | {r['rps']} | "
            f"{r['p50_ms']} | {r['p99_ms']} | {r['queries_per_request']} | {r['single_request_ms']} |"
        )
    out += [
        "",
        "Latencies are client-side over HTTP under load (queueing included: 2 workers serve "
        f"{meta['concurrency']} concurrent clients). Queries per request and the single-request time are "
        "measured in the benchmark process with Django's test client against the same database and Redis, in "
        "the scenario's cache state (feed_cold: feed keys flushed; trending: its cache key deleted, so that "
        "column shows the uncached cost, while the load mostly hits the 60 s cache).",
        "",
    ]
    me = next((r for r in rows if r["scenario"] == "me"), None)
    return "\n".join(out + verdict_markdown(verdicts, me) + timeline_summary(meta, rows))


def timeline_summary(meta: dict, rows: list[dict]) -> list[str]:
    """The home timeline targets, from this run's rows."""
    by = {r["scenario"]: r for r in rows}
    out = []
    if "me" in by and "feed_warm" in by and by["me"]["rps"]:
        ratio = by["feed_warm"]["rps"] / by["me"]["rps"]
        out.append(
            f"- Warm feed throughput: {by['feed_warm']['rps']} req/s = **{ratio:.0%}** of `GET /api/users/me/` "
            f"({by['me']['rps']} req/s) in the same run (target ≥ 70 %; feed backend {meta.get('feed_backend')})."
        )
    if "feed_warm" in by and "feed_warm_blocking" in by and by["feed_warm"]["rps"]:
        ratio = by["feed_warm_blocking"]["rps"] / by["feed_warm"]["rps"]
        out.append(
            f"- Warm feed of users blocking 500 and muting 500 accounts (10 of their 100 followees): "
            f"{by['feed_warm_blocking']['rps']} req/s "
            f"= **{ratio:.0%}** of the warm feed, p99 {by['feed_warm_blocking']['p99_ms']} ms vs "
            f"{by['feed_warm']['p99_ms']} ms."
        )
    if "feed_warm" in by and "mastodon_home_warm" in by and by["feed_warm"]["rps"]:
        ratio = by["mastodon_home_warm"]["rps"] / by["feed_warm"]["rps"]
        out.append(
            f"- Mastodon API home timeline (`GET /api/v1/timelines/home`, same users): "
            f"{by['mastodon_home_warm']['rps']} req/s = **{ratio:.0%}** of the native warm feed "
            f"(goal ≥ 80 %), p99 {by['mastodon_home_warm']['p99_ms']} ms vs {by['feed_warm']['p99_ms']} ms."
        )
    for backend in ("redis", "db"):
        small, large = by.get(f"feed_f100_{backend}"), by.get(f"feed_f5000_{backend}")
        if small and large and small["p99_ms"] and large["p99_ms"]:
            out.append(
                f"- Feed p99, following ~100 vs ~5,000 accounts, {backend}: "
                f"{small['p99_ms']} ms vs {large['p99_ms']} ms "
                f"= **×{large['p99_ms'] / small['p99_ms']:.2f}** (target ≤ ×1.5)."
            )
    smaller = meta.get("compare_posts")
    if smaller:
        before = {r["scenario"]: r for r in smaller["scenarios"]}
        few, many = smaller["meta"]["data"]["posts"], meta["data"]["posts"]
        for backend in ("redis", "db"):
            for followees in FOLLOWEE_GROUPS:
                name = f"feed_f{followees}_{backend}"
                small, large = before.get(name), by.get(name)
                if small and large and small["p99_ms"] and large["p99_ms"]:
                    out.append(
                        f"- Feed p99, {few:,} vs {many:,} posts, following ~{followees:,}, {backend}: "
                        f"{small['p99_ms']} ms vs {large['p99_ms']} ms "
                        f"= **×{large['p99_ms'] / small['p99_ms']:.2f}** (target ≤ ×1.5)."
                    )
    fan = meta.get("fanout")
    if fan:
        out.append(
            f"- Fan-out: one post by an account with {fan['followers']:,} followers (all active) reached "
            f"{fan['reached']:,} timelines in **{fan['seconds']} s** ({fan['batches']} batches of {fan['batch_size']}, "
            f"{fan['workers']} worker processes): "
            f"**{fan['inserts_per_s_per_worker']:,} timeline inserts/s per worker** "
            f"(target < 10 s)."
        )
    return ["## Home timelines", "", *out, ""] if out else []


def explain_markdown(meta: dict, explains: dict) -> str:
    out = [f"# Slowest SELECTs per scenario ({meta['date']}, {meta['data']['posts']:,} posts)", ""]
    for name, plans in explains.items():
        out.append(f"## {name}")
        out.append("")
        if not plans:
            out += ["(no SELECT)", ""]
        for plan in plans:
            out += [
                f"{plan['ms']:.1f} ms:",
                "",
                "```sql",
                plan["sql"],
                "```",
                "",
                "```",
                plan["plan"],
                "```",
                "",
            ]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
