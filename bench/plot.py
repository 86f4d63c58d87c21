"""Plot feed latency against followees and against total posts, before (the database selector,
``FEED_BACKEND=db``) and after (Redis timelines), from ``bench/results.json`` (``make bench``) and
the smaller data set that the same ``make bench`` measures first (the ``compare_posts`` it holds,
also in ``bench/results.small.json``). Writes ``bench/feed_latency.png``.

    .venv/bin/python bench/plot.py
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

BENCH_DIR = Path(__file__).resolve().parent
LABELS = {"db": "before: database selector", "redis": "after: Redis timelines"}
STYLES = {"db": ("tab:red", "o"), "redis": ("tab:blue", "s")}


def load(name: str) -> dict | None:
    path = BENCH_DIR / name
    return json.loads(path.read_text()) if path.exists() else None


def p99(run: dict, backend: str, followees: int) -> float | None:
    for row in run["scenarios"]:
        if row.get("backend") == backend and row.get("followees") == followees:
            return row["p99_ms"]
    return None


def main() -> None:
    full = load("results.json")
    if full is None:
        raise SystemExit("run `make bench` first (bench/results.json)")
    small = full["meta"].get("compare_posts")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    posts = full["meta"]["data"]["posts"]
    for backend in ("db", "redis"):
        color, marker = STYLES[backend]
        xs = [f for f in (100, 5000) if p99(full, backend, f) is not None]
        left.plot(xs, [p99(full, backend, f) for f in xs], marker=marker, color=color, label=LABELS[backend])
        for followees, line in ((100, "-"), (5000, ":")):
            runs = [run for run in (small, full) if run is not None and p99(run, backend, followees) is not None]
            right.plot(
                [run["meta"]["data"]["posts"] for run in runs],
                [p99(run, backend, followees) for run in runs],
                marker=marker,
                linestyle=line,
                color=color,
                label=f"{LABELS[backend]}, following ~{followees:,}",
            )
    left.set(
        xscale="log",
        yscale="log",
        xlabel="accounts followed",
        ylabel="feed p99 latency (ms)",
        title=f"Feed p99 against followees ({posts:,} posts)",
    )
    right.set(
        xscale="log",
        xlabel="posts in the database",
        ylabel="feed p99 latency (ms)",
        yscale="log",
        title="Feed p99 against total posts",
    )
    for axis in (left, right):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    concurrency = full["meta"]["concurrency"]
    fig.suptitle(f"GET /api/posts/feed/, {concurrency} concurrent clients, gunicorn 2 workers", fontsize=10)
    fig.tight_layout()
    out = BENCH_DIR / "feed_latency.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
