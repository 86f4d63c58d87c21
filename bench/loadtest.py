"""A bounded load test of the whole stack: a real HTTP server (gunicorn, 2 workers) and a Celery
worker on PostgreSQL + Redis, driven over loopback by client threads that mix reads and writes
(feed, post lists, notifications, posting, liking, following) at a fixed rate for a fixed time.

First ``GET /api/users/me/`` alone, by 8 clients as fast as they go for 10 s (as ``make bench``
measures it): its p99 is the yardstick. Then the mix at ``LOADTEST_RATE`` requests per second,
by default twice today's rate (``TODAY_RATE``: what 8 clients sending back to back reached on the
2026-11-22 run, 43 req/s), sent on a fixed schedule whatever the answers' speed (an open loop: a
slow server does not slow the clients down, and a request's latency counts from its scheduled time,
so waiting for a free client counts too). It fails (exit 1) on any error, on a p99 of the mix above
5 × the /me p99, or if less than 95 % of the rate could be offered; it writes bench/LOADTEST.md.

    make loadtest            # 60 s at 86 req/s
    LOADTEST_DURATION=120 LOADTEST_RATE=100 make loadtest

Reads ``DATABASE_URL`` (a dedicated PostgreSQL database, recreated by the Makefile target),
``REDIS_URL`` and ``BENCH_PORT`` (the server's port; default a free one) from the environment.
"""

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # the benchmark's helpers, one folder
    BASE_DIR,
    HOST,
    Request,
    free_port,
    log,
    manage,
    percentile,
    run_load,
    server_env,
    start_server,
    stop_server,
)

TODAY_RATE = 43.0  # req/s: 8 clients back to back, 2026-11-22 (2,589 requests in 60 s)
RATE = float(os.environ.get("LOADTEST_RATE", str(2 * TODAY_RATE)))
DURATION = float(os.environ.get("LOADTEST_DURATION", "60"))
# Enough clients that the schedule is kept while requests wait for the server.
CONCURRENCY = int(os.environ.get("LOADTEST_CONCURRENCY", "48"))
ME_DURATION, ME_CONCURRENCY = 10.0, 8
P99_LIMIT = 5  # the mix's p99 at most this times the /me p99
USERS, POSTS, FOLLOWS = 300, 20_000, 30

# name -> (share of requests, statuses that count as success)
MIX = {
    "feed": (0.40, {200}),
    "post_list": (0.15, {200}),
    "notifications": (0.10, {200}),
    "post_create": (0.10, {201}),
    "like_toggle": (0.15, {200}),
    "follow_toggle": (0.10, {200, 201}),
}


def main() -> int:
    env = server_env()
    if not env.get("DATABASE_URL", "").startswith("postgres") or not env.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL (PostgreSQL) and REDIS_URL; `make loadtest` does")
    os.environ.update(env)
    log("migrating and seeding")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo", "--users", str(USERS), "--posts", str(POSTS), "--follows", str(FOLLOWS))

    os.environ["DJANGO_SETTINGS_MODULE"] = "mini_twitter.settings.production"
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from rest_framework_simplejwt.tokens import AccessToken

    from posts.models import Post
    from users.models import User

    # Loaded users: a token carries a digest of its user's password hash.
    seeded = User.objects.filter(username__startswith="seed_").only("id", "password")
    tokens = {user.pk: str(AccessToken.for_user(user)) for user in seeded}
    user_ids = list(tokens)
    # Public posts: anyone may like them (a followers-only post is not found by a non-follower).
    public = Post.objects.filter(visibility=Post.Visibility.PUBLIC)
    post_ids = list(public.order_by("-id").values_list("id", flat=True)[:2000])

    port = free_port(int(os.environ.get("BENCH_PORT") or 0) or None)
    var = BASE_DIR / "var"
    server = start_server(env, port, var / "loadtest-gunicorn.log")
    worker_log = open(var / "loadtest-worker.log", "ab")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(  # noqa: S603 - our own Celery worker
        [
            *(sys.executable, "-m", "celery", "-A", "mini_twitter", "worker", "--concurrency", "2"),
            *("-Q", f"{env['CELERY_DEFAULT_QUEUE']},{env['CELERY_EMAIL_QUEUE']}"),  # where server_env sends tasks
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        log(f"GET /api/users/me/ alone: {ME_CONCURRENCY} clients for {ME_DURATION:.0f} s")
        users = list(tokens.items())
        me = run_load(
            "me", port, lambda i: Request("GET", "/api/users/me/", users[i % len(users)][1]), expected=200,
            duration=ME_DURATION, max_requests=10**6, concurrency=ME_CONCURRENCY,
        )  # fmt: skip
        stats = run_mix(port, user_ids, tokens, post_ids)
        stats["me"] = {
            "requests": len(me.latencies) + me.errors,
            "errors": me.errors,
            "rps": len(me.latencies) / me.elapsed,
            "p99_ms": _ms(percentile(me.latencies, 99)),
        }
    finally:
        stop_server(server)
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
    misses = judge(stats)
    report = render(stats, misses)
    (BASE_DIR / "bench" / "LOADTEST.md").write_text(report)
    print(report)
    return 1 if misses else 0


def judge(stats: dict) -> list[str]:
    """What the run missed: errors, the p99 limit, the rate."""
    misses = []
    errors = stats["me"]["errors"] + sum(s["errors"] for s in stats["by_name"].values())
    if errors:
        misses.append(f"{errors} errors")
    limit = P99_LIMIT * (stats["me"]["p99_ms"] or 0)
    if stats["p99_ms"] is None or stats["p99_ms"] > limit:
        misses.append(f"p99 {stats['p99_ms']} ms > {P99_LIMIT} × /me p99 = {limit:.1f} ms")
    if stats["offered_rate"] < 0.95 * RATE:
        misses.append(f"offered {stats['offered_rate']:.1f} req/s < 95 % of {RATE:g}")
    return misses


def run_mix(port: int, user_ids: list[int], tokens: dict, post_ids: list[int]) -> dict:
    names = list(MIX)
    weights = [MIX[n][0] for n in names]
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []
    slots = [0]  # the next request's number: request k is due at started + k / RATE
    last_sent = [0.0]
    started = time.perf_counter()
    deadline = started + DURATION

    def take() -> tuple[int, float] | None:
        """The next request's number and due time; none after the deadline, even when the clients
        are behind (what they could not send in time counts as not offered)."""
        with lock:
            k = slots[0]
            due = started + k / RATE
            if due >= deadline or time.perf_counter() >= deadline:
                return None
            slots[0] += 1
            return k, due

    def request(conn, method, path, token, body=None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    def client():
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while (slot := take()) is not None:
            k, due = slot
            rng = random.Random(k)  # noqa: S311 - load generation, not security
            name = rng.choices(names, weights)[0]
            uid = rng.choice(user_ids)
            token = tokens[uid]
            post_id = rng.choice(post_ids)
            other = rng.choice([u for u in user_ids if u != uid])
            if (wait := due - time.perf_counter()) > 0:
                time.sleep(wait)
            sent = time.perf_counter()
            try:
                if name == "feed":
                    status, payload = request(conn, "GET", "/api/posts/feed/", token)
                elif name == "post_list":
                    status, payload = request(conn, "GET", "/api/posts/?page_size=20", token)
                elif name == "notifications":
                    status, payload = request(conn, "GET", "/api/notifications/", token)
                elif name == "post_create":
                    status, payload = request(
                        conn, "POST", "/api/posts/", token, {"content": f"load test #loadtest {rng.random()}"}
                    )
                elif name == "like_toggle":
                    action = rng.choice(["like", "unlike"])
                    status, payload = request(conn, "POST", f"/api/posts/{post_id}/{action}/", token)
                else:
                    action = rng.choice(["follow", "unfollow"])
                    status, payload = request(conn, "POST", f"/api/users/{other}/{action}/", token)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status, payload = 0, repr(exc).encode()
            elapsed = time.perf_counter() - due  # from the due time: waiting for a free client counts
            with lock:
                last_sent[0] = max(last_sent[0], sent)
                if status in MIX[name][1]:
                    latencies[name].append(elapsed)
                else:
                    errors[name] += 1
                    if len(samples) < 5:
                        samples.append(f"{name} {status}: {payload[:200]!r}")
        conn.close()

    def progress():
        while time.perf_counter() < deadline:
            time.sleep(5)
            with lock:
                count = sum(len(v) for v in latencies.values())
                failed = sum(errors.values())
            elapsed = time.perf_counter() - started
            log(f"  {elapsed:5.1f} s  {count + failed:6d} requests  {count / elapsed:6.1f} req/s  {failed} errors")

    log(f"load: {RATE:g} req/s for {DURATION:.0f} s ({CONCURRENCY} clients at most)")
    threads = [threading.Thread(target=client, daemon=True) for _ in range(CONCURRENCY)]
    reporter = threading.Thread(target=progress, daemon=True)
    reporter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    by_name = {
        name: {
            "requests": len(latencies[name]) + errors[name],
            "errors": errors[name],
            "p50_ms": _ms(percentile(latencies[name], 50)),
            "p99_ms": _ms(percentile(latencies[name], 99)),
        }
        for name in names
    }
    every = [latency for values in latencies.values() for latency in values]
    return {
        "elapsed": elapsed,
        "by_name": by_name,
        "samples": samples,
        "p50_ms": _ms(percentile(every, 50)),
        "p99_ms": _ms(percentile(every, 99)),
        # Requests sent over the time it took to send them (longer than DURATION if clients lagged).
        "offered_rate": slots[0] / max(last_sent[0] - started, DURATION),
    }


def _ms(value: float | None) -> float | None:
    return round(value * 1000, 1) if value is not None else None


def render(stats: dict, misses: list[str]) -> str:
    total = sum(s["requests"] for s in stats["by_name"].values())
    failed = sum(s["errors"] for s in stats["by_name"].values())
    me = stats["me"]
    limit = P99_LIMIT * (me["p99_ms"] or 0)
    lines = [
        "# Load test",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- Over loopback: gunicorn with 2 workers and a Celery worker on PostgreSQL + Redis; {USERS} users, "
        f"{POSTS:,} posts, ~{FOLLOWS} follows each",
        f"- `GET /api/users/me/` alone first, {ME_CONCURRENCY} clients back to back for {ME_DURATION:.0f} s: "
        f"{me['requests']} requests, {me['rps']:.1f} req/s, p99 **{me['p99_ms']} ms**, {me['errors']} errors",
        f"- The mix at **{RATE:g} req/s** (twice today's {TODAY_RATE:g} req/s unless `LOADTEST_RATE` says "
        f"otherwise) for {DURATION:.0f} s, on a fixed schedule ({CONCURRENCY} clients at most; latency from "
        f"each request's due time): offered {stats['offered_rate']:.1f} req/s, {total} requests, "
        f"**{failed} errors**, p50 {stats['p50_ms']} ms, p99 **{stats['p99_ms']} ms** "
        f"(limit {P99_LIMIT} × /me p99 = {limit:.1f} ms)",
        "- Result: " + ("**met** (0 errors, p99 within the limit, the rate offered)" if not misses else
                        "**missed**: " + "; ".join(misses)),
        "",
        "| request | share | requests | errors | p50 ms | p99 ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]  # fmt: skip
    for name, row in stats["by_name"].items():
        lines.append(
            f"| {name} | {MIX[name][0]:.0%} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p99_ms']} |"
        )
    if stats["samples"]:
        lines += ["", "Error samples:", *[f"- `{s}`" for s in stats["samples"]]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
