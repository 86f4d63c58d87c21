"""A bounded load test of the whole stack: a real HTTP server (gunicorn, 2 workers) and a Celery
worker on PostgreSQL + Redis, driven over loopback by client threads that mix reads and writes
(feed, post lists, notifications, posting, liking, following) for a fixed time. It fails (exit 1)
on any error, and writes bench/LOADTEST.md with the numbers.

    make loadtest            # 60 s, 8 client threads
    LOADTEST_DURATION=120 LOADTEST_CONCURRENCY=16 make loadtest

Reads ``DATABASE_URL`` (a dedicated PostgreSQL database, recreated by the Makefile target) and
``REDIS_URL`` from the environment.
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
    free_port,
    log,
    manage,
    percentile,
    server_env,
    start_server,
    stop_server,
)

DURATION = float(os.environ.get("LOADTEST_DURATION", "60"))
CONCURRENCY = int(os.environ.get("LOADTEST_CONCURRENCY", "8"))
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
    post_ids = list(Post.objects.order_by("-id").values_list("id", flat=True)[:2000])

    port = free_port()
    var = BASE_DIR / "var"
    server = start_server(env, port, var / "loadtest-gunicorn.log")
    worker_log = open(var / "loadtest-worker.log", "ab")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mini_twitter", "worker", "--concurrency", "2", "-Q", "default,email"],
        cwd=BASE_DIR,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        stats = run_mix(port, user_ids, tokens, post_ids)
    finally:
        stop_server(server)
        worker.terminate()
        worker.wait(timeout=30)
        worker_log.close()
    report = render(stats)
    (BASE_DIR / "bench" / "LOADTEST.md").write_text(report)
    print(report)
    return 1 if sum(s["errors"] for s in stats["by_name"].values()) else 0


def run_mix(port: int, user_ids: list[int], tokens: dict, post_ids: list[int]) -> dict:
    names = list(MIX)
    weights = [MIX[n][0] for n in names]
    lock = threading.Lock()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    samples: list[str] = []
    started = time.perf_counter()
    deadline = started + DURATION

    def request(conn, method, path, token, body=None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    def client(seed: int):
        rng = random.Random(seed)  # noqa: S311 - load generation, not security
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.perf_counter() < deadline:
            name = rng.choices(names, weights)[0]
            uid = rng.choice(user_ids)
            token = tokens[uid]
            post_id = rng.choice(post_ids)
            other = rng.choice(user_ids)
            t0 = time.perf_counter()
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
                    if other == uid:
                        continue
                    action = rng.choice(["follow", "unfollow"])
                    status, payload = request(conn, "POST", f"/api/users/{other}/{action}/", token)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
                status, payload = 0, repr(exc).encode()
            elapsed = time.perf_counter() - t0
            with lock:
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

    log(f"load: {CONCURRENCY} clients for {DURATION:.0f} s")
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CONCURRENCY)]
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
    return {"elapsed": elapsed, "by_name": by_name, "samples": samples}


def _ms(value: float | None) -> float | None:
    return round(value * 1000, 1) if value is not None else None


def render(stats: dict) -> str:
    total = sum(s["requests"] for s in stats["by_name"].values())
    failed = sum(s["errors"] for s in stats["by_name"].values())
    lines = [
        "# Load test",
        "",
        f"- Date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"- {CONCURRENCY} client threads for {stats['elapsed']:.0f} s over loopback; gunicorn with 2 workers and "
        f"a Celery worker on PostgreSQL + Redis; {USERS} users, {POSTS:,} posts, ~{FOLLOWS} follows each",
        f"- Total: {total} requests, {total / stats['elapsed']:.1f} req/s, **{failed} errors**",
        "",
        "| request | share | requests | errors | p50 ms | p99 ms |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, row in stats["by_name"].items():
        lines.append(
            f"| {name} | {MIX[name][0]:.0%} | {row['requests']} | {row['errors']} | {row['p50_ms']} | {row['p99_ms']} |"
        )
    if stats["samples"]:
        lines += ["", "Error samples:", *[f"- `{s}`" for s in stats["samples"]]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
