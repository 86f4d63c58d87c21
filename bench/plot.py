"""Plots of a benchmark run. From ``bench/results.json`` (``make bench``): feed latency against
followees and against total posts, before (the database selector, ``FEED_BACKEND=db``) and after
(Redis timelines), with the smaller data set that the same ``make bench`` measures first (the
``compare_posts`` it holds, also in ``bench/results.small.json``), in ``bench/feed_latency.png``;
and every scenario's throughput and p99 as ratios to ``GET /api/users/me/`` against its target,
in ``bench/targets.png``. ``--name quick`` plots ``bench/results.quick.json`` (``make
bench-quick``) into ``bench/targets.quick.png``.

    .venv/bin/python bench/plot.py [--name quick]
"""

import argparse
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


def plot_targets(run: dict, out: Path) -> None:
    """Two panels, a bar per targeted scenario: throughput / /me's (higher is better) and p99 /
    /me's (lower is better); the target a black tick on each bar, missed bars red, met ones green,
    grey where the scenario has no target of that kind."""
    verdicts = run.get("targets") or []
    if not verdicts:
        return
    names = [v["scenario"] for v in verdicts]
    ys = range(len(names))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.28 * len(names) + 1.6), sharey=True)
    for axis, key, miss, title in (
        (left, "rps", "throughput", "throughput / GET /api/users/me/ (target: at least)"),
        (right, "p99", "p99", "p99 latency / GET /api/users/me/ (target: at most)"),
    ):
        values = [v[f"{key}_ratio"] or 0 for v in verdicts]
        colors = [
            "tab:gray" if v[f"{key}_target"] is None else "tab:red" if miss in v["misses"] else "tab:green"
            for v in verdicts
        ]
        axis.barh(ys, values, color=colors, alpha=0.8)
        for y, v in zip(ys, verdicts, strict=True):
            if v[f"{key}_target"] is not None:
                axis.plot([v[f"{key}_target"]] * 2, [y - 0.45, y + 0.45], color="black", linewidth=2)
        axis.axvline(1.0, color="grey", linestyle=":", linewidth=1)
        axis.set(title=title, xlabel="ratio to /me in the same run")
        axis.title.set_fontsize(9)
        axis.grid(True, axis="x", alpha=0.3)
    left.set_yticks(list(ys), names, fontsize=8)
    left.invert_yaxis()
    meta = run["meta"]
    me = next((r for r in run["scenarios"] if r["scenario"] == "me"), {})
    fig.suptitle(
        f"{meta['date'][:10]}, {meta['data']['posts']:,} posts, {meta['concurrency']} clients: /me "
        f"{me.get('rps')} req/s, p99 {me.get('p99_ms')} ms. Black: target; red: missed",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(BENCH_DIR.parent)}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Plot bench/results[.NAME].json")
    parser.add_argument("--name", help="plot bench/results.NAME.json (its targets only)")
    args = parser.parse_args()
    if args.name:
        run = load(f"results.{args.name}.json")
        if run is None:
            raise SystemExit(f"no bench/results.{args.name}.json")
        plot_targets(run, BENCH_DIR / f"targets.{args.name}.png")
        return
    full = load("results.json")
    if full is None:
        raise SystemExit("run `make bench` first (bench/results.json)")
    plot_targets(full, BENCH_DIR / "targets.png")
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
