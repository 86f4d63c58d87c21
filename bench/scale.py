# ruff: noqa: S603 - starts our own scripts (.ci/pg-replica, .ci/redis-cluster) and bench/run.py
"""The scale-out benchmark (``make bench-scale``): the feed, post and fan-out scenarios of
``bench/run.py`` on one node and on the scaled-out topology, in one run, on the same data.

    single   PostgreSQL primary, one Redis (timelines, cache, broker)
    scaled   the same primary with a streaming replica serving reads (DATABASE_REPLICA_URLS),
             the home timelines on a three-master Redis Cluster (TIMELINES_REDIS_URL), Celery on
             RabbitMQ (CELERY_BROKER_URL, quorum queues)

It starts a PostgreSQL primary and its replica under a temporary directory (``.ci/pg-replica`` on
ports 5450/5451) and a Redis Cluster (``.ci/redis-cluster`` on ports 7101-7103), seeds the primary
once (``bench/run.py --quick``'s data set), runs ``bench/run.py`` in each topology (scenarios
``me``, ``feed_warm``, ``feed_cold``, ``post_create``, the home timeline groups and a fan-out to
``--fanout-followers`` followers), samples the replica's lag every 0.2 s during the scaled run,
measures the timelines' memory per user, stops everything and writes ``bench/results.scale.json``
and ``bench/RESULTS.scale.md``. RabbitMQ must be running (``BENCH_AMQP_URL``, default
``amqp://guest:guest@127.0.0.1:5672//``; the benchmark's queues are ``bench_default`` and
``bench_email``).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
PRIMARY_PORT, REPLICA_PORT, CLUSTER_PORT = 5450, 5451, 7101
DB_NAME = "mini_twitter_bench_scale"
SCENARIOS = "me,feed_warm,feed_cold,post_create,timelines"


def log(message: str) -> None:
    print(message, flush=True)


def topology_env() -> dict[str, str]:
    tmp = tempfile.gettempdir()
    return {
        **os.environ,
        "PG_PRIMARY_PORT": str(PRIMARY_PORT),
        "PG_REPLICA_PORT": str(REPLICA_PORT),
        "PG_REPLICA_DIR": f"{tmp}/mini_twitter-bench-scale-pg",
        "REDIS_CLUSTER_PORT": str(CLUSTER_PORT),
        "REDIS_CLUSTER_REPLICAS": "0",
    }


def script(*args: str) -> str:
    result = subprocess.run(args, cwd=BASE_DIR, env=topology_env(), capture_output=True, text=True, check=False)
    if result.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def start_topology() -> str:
    log(f"== PostgreSQL primary :{PRIMARY_PORT} and streaming replica :{REPLICA_PORT} (.ci/pg-replica)")
    script(".ci/pg-replica", "start")
    script("createdb", "-h", "127.0.0.1", "-p", str(PRIMARY_PORT), "-U", "postgres", DB_NAME)
    log(f"== Redis Cluster, three masters on :{CLUSTER_PORT}-{CLUSTER_PORT + 2} (.ci/redis-cluster)")
    script(".ci/redis-cluster", "start")
    return script(".ci/redis-cluster", "url")


def stop_topology() -> None:
    for command in ((".ci/redis-cluster", "stop"), (".ci/pg-replica", "stop")):
        subprocess.run(command, cwd=BASE_DIR, env=topology_env(), capture_output=True, check=False)


def run_bench(name: str, env: dict[str, str], args: argparse.Namespace, *, seed: bool) -> dict:
    command = [
        sys.executable,
        "bench/run.py",
        "--quick",
        "--only",
        SCENARIOS,
        "--fanout-followers",
        str(args.fanout_followers),
        "--no-explain",
        "--no-fail",  # the topologies side by side, not the targets
        "--name",
        name,
    ]
    if not seed:
        command.append("--skip-seed")
    if args.duration:
        command += ["--duration", str(args.duration)]
    log(f"== bench/run.py ({name}): {' '.join(command[1:])}")
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True)
    results = json.loads((BENCH_DIR / f"results.{name}.json").read_text())
    results["push_tasks"] = push_task_speed(BASE_DIR / "var" / "bench-celery.log", batch=1000)
    return results


def push_task_speed(worker_log: Path, *, batch: int) -> dict:
    """How fast a fan-out task writes while it runs: the run times of the worker's full batches
    (``posts.timeline_push`` returning ``batch``), from its JSON log."""
    runtimes = []
    for line in worker_log.read_text().splitlines():
        if '"posts.timeline_push"' not in line or "succeeded" not in line:
            continue
        data = json.loads(line).get("data") or {}
        if data.get("return_value") == str(batch):
            runtimes.append(float(data["runtime"]))
    if not runtimes:
        return {"tasks": 0}
    median = statistics.median(runtimes)
    return {"tasks": len(runtimes), "median_s": round(median, 3), "inserts_per_s": round(batch / median)}


class LagSampler(threading.Thread):
    """The replica's lag behind the primary every 0.2 s: WAL bytes not yet replayed, and (while the
    primary writes) the age of the newest replayed commit."""

    def __init__(self, primary_url: str, replica_url: str):
        super().__init__(daemon=True)
        self.primary_url, self.replica_url = primary_url, replica_url
        self.bytes: list[int] = []
        self.seconds: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with (
            psycopg.connect(self.primary_url, autocommit=True) as primary,
            psycopg.connect(self.replica_url, autocommit=True) as replica,
        ):
            while not self.stopping.wait(0.2):
                (written,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
                replayed, age = replica.execute(
                    "SELECT pg_last_wal_replay_lsn(),"
                    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float"
                ).fetchone()
                (behind,) = primary.execute("SELECT pg_wal_lsn_diff(%s, %s)::bigint", [written, replayed]).fetchone()
                self.bytes.append(max(0, int(behind)))
                if behind > 0 and age is not None:
                    self.seconds.append(age)

    def summary(self) -> dict:
        def pct(values, q):
            return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 3) if values else 0

        return {
            "samples": len(self.bytes),
            "bytes_p50": pct(self.bytes, 0.5),
            "bytes_p99": pct(self.bytes, 0.99),
            "bytes_max": max(self.bytes, default=0),
            "seconds_p50_while_behind": pct(self.seconds, 0.5),
            "seconds_p99_while_behind": pct(self.seconds, 0.99),
            "seconds_max_while_behind": round(max(self.seconds, default=0), 3),
        }


def timeline_memory(cluster_url: str) -> dict:
    """Bytes a home timeline takes on the cluster (its sorted set and hash), over up to 200 of the
    timelines the run built."""
    from redis.cluster import ClusterNode, RedisCluster

    host, port = cluster_url.split("://", 1)[1].split(",")[0].split(":")
    conn = RedisCluster(startup_nodes=[ClusterNode(host, int(port))])
    sizes, entries = [], []
    for key in conn.scan_iter(match="tl:h:*", count=1000, target_nodes=RedisCluster.PRIMARIES):
        key = key.decode()
        count = conn.zcard(key)
        if count < 50:  # the fan-out account's followers hold one post: not a reader's timeline
            continue
        hash_key = key.replace("tl:h:", "tl:hm:", 1)
        sizes.append((conn.memory_usage(key) or 0) + (conn.memory_usage(hash_key) or 0))
        entries.append(count)
        if len(sizes) >= 200:
            break
    conn.close()
    if not sizes:
        return {"timelines": 0}
    return {
        "timelines": len(sizes),
        "entries_mean": round(statistics.mean(entries)),
        "bytes_mean": round(statistics.mean(sizes)),
        "bytes_per_entry": round(sum(sizes) / sum(entries), 1),
    }


def by_scenario(results: dict) -> dict[str, dict]:
    return {row["scenario"]: row for row in results["scenarios"]}


def markdown(meta: dict, single: dict, scaled: dict) -> str:
    one, two = by_scenario(single), by_scenario(scaled)
    lines = [
        "# mini_twitter scale-out benchmark (`make bench-scale`)",
        "",
        f"{meta['date']}, commit `{meta['git_commit']}`, {meta['machine']}. The same data (`bench/run.py "
        f"--quick`: {single['meta']['data']['users']:,} users, {single['meta']['data']['posts']:,} posts) and the same "
        "load (8 client threads, gunicorn with 2 sync workers, 2 Celery worker processes) in both topologies; "
        "every process on this one machine, so the scaled topology's extra servers share its cores.",
        "",
        "- **single**: PostgreSQL primary, one Redis (timelines, cache, Celery broker).",
        "- **scaled**: the same primary with a streaming replica serving reads (`DATABASE_REPLICA_URLS`), "
        "the home timelines on a three-master Redis Cluster (`TIMELINES_REDIS_URL=redis+cluster://...`), "
        "Celery on RabbitMQ (`CELERY_BROKER_URL=amqp://...`, quorum queues).",
        "",
        "| scenario | single req/s | single p50 ms | single p99 ms | scaled req/s | scaled p50 ms | scaled p99 ms "
        "| scaled / single |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in one.items():
        other = two.get(name)
        if other is None:
            continue
        ratio = f"{other['rps'] / row['rps']:.0%}" if row["rps"] else "-"
        lines.append(
            f"| {name} | {row['rps']} | {row['p50_ms']} | {row['p99_ms']} | {other['rps']} | {other['p50_ms']} "
            f"| {other['p99_ms']} | {ratio} |"
        )
    fan_one, fan_two = single["meta"].get("fanout"), scaled["meta"].get("fanout")
    if fan_one and fan_two:
        lines += [
            "",
            f"**Fan-out** of one post to {fan_one['followers']:,} followers ({fan_one['batches']} tasks of "
            f"{fan_one['batch_size']}, {fan_one['workers']} worker processes): single {fan_one['seconds']} s "
            f"(**{fan_one['inserts_per_s_per_worker']:,} timeline inserts/s per worker**), scaled "
            f"{fan_two['seconds']} s (**{fan_two['inserts_per_s_per_worker']:,} inserts/s per worker**, one script "
            "call per follower in one pipeline per node).",
        ]
        one_task, two_task = single.get("push_tasks", {}), scaled.get("push_tasks", {})
        if one_task.get("tasks") and two_task.get("tasks"):
            lines += [
                "",
                f"While a fan-out task runs it writes {one_task['inserts_per_s']:,} timeline inserts/s (single, median "
                f"task {one_task['median_s']} s for 1,000 followers) and {two_task['inserts_per_s']:,} inserts/s "
                f"(scaled, {two_task['median_s']} s); the rest of the fan-out's time is the worker waiting for its "
                "next task.",
            ]
    lag = meta["replica_lag"]
    lines += [
        "",
        f"**Replica lag** during the scaled run ({lag['samples']} samples, every 0.2 s): WAL not yet replayed "
        f"p50 {lag['bytes_p50']:,} B, p99 {lag['bytes_p99']:,} B, max {lag['bytes_max']:,} B; while behind, the "
        f"newest replayed commit was p50 {lag['seconds_p50_while_behind']} s, p99 {lag['seconds_p99_while_behind']} s, "
        f"max {lag['seconds_max_while_behind']} s old.",
    ]
    memory = meta["timeline_memory"]
    if memory.get("timelines"):
        lines += [
            "",
            f"**Timeline memory**: {memory['timelines']} home timelines built by the run hold {memory['entries_mean']} "
            f"entries on average and take {memory['bytes_mean']:,} bytes each on the cluster (sorted set and hash): "
            f"**{memory['bytes_per_entry']} bytes per entry** (`TIMELINE_MAX_ENTRIES` "
            f"{single['meta']['timeline_settings']['TIMELINE_MAX_ENTRIES']}).",
        ]
    lines += ["", "Raw results: `bench/results.scale-single.json`, `bench/results.scale-cluster.json`.", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fanout-followers", type=int, default=int(os.environ.get("BENCH_FANOUT_FOLLOWERS", 20000)))
    parser.add_argument("--duration", type=float, help="seconds per scenario (bench/run.py --quick: 8)")
    args = parser.parse_args()
    started = time.monotonic()
    stop_topology()  # an earlier run's servers
    try:
        cluster_url = start_topology()
        primary_url = f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/{DB_NAME}"
        replica_url = f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{DB_NAME}"
        base = {
            **os.environ,
            "DATABASE_URL": primary_url,
            "REDIS_URL": os.environ.get("BENCH_SCALE_REDIS_URL", "redis://127.0.0.1:6379/13"),
        }
        for name in ("TIMELINES_REDIS_URL", "DATABASE_REPLICA_URLS", "CELERY_BROKER_URL"):
            base.pop(name, None)
        single = run_bench("scale-single", base, args, seed=True)
        scaled_env = {
            **base,
            "TIMELINES_REDIS_URL": cluster_url,
            "DATABASE_REPLICA_URLS": replica_url,
            "CELERY_BROKER_URL": os.environ.get("BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
        }
        sampler = LagSampler(primary_url, replica_url)
        sampler.start()
        try:
            scaled = run_bench("scale-cluster", scaled_env, args, seed=False)
        finally:
            sampler.stopping.set()
            sampler.join(timeout=5)
        memory = timeline_memory(cluster_url)
    finally:
        log("== stopping the cluster and the PostgreSQL pair")
        stop_topology()
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": single["meta"]["git_commit"],
        "machine": single["meta"]["machine"],
        "replica_lag": sampler.summary(),
        "timeline_memory": memory,
        "total_seconds": round(time.monotonic() - started, 1),
    }
    (BENCH_DIR / "results.scale.json").write_text(
        json.dumps({"meta": meta, "single": single, "scaled": scaled}, indent=2) + "\n"
    )
    text = markdown(meta, single, scaled)
    (BENCH_DIR / "RESULTS.scale.md").write_text(text)
    log("\n" + text)
    log("wrote bench/results.scale.json, bench/RESULTS.scale.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
