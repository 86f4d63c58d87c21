"""``manage.py seed_demo``: seed the large data set of the benchmarks (demo/seeding.py)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from demo.seeding import SEED_PASSWORD, SeedResult, seed


class Command(BaseCommand):
    help = (
        "Seed a large realistic data set: N users named seed_000001…, about K followees each (a few "
        "celebrities followed by almost everyone, the rest Zipf-popular), M posts over the last 30 days "
        "with #hashtags, @mentions, replies, likes and retweets. Safe to rerun: it tops up to the "
        "requested counts (missing users, followees, posts, likes and retweets) and never adds a row "
        f"twice. Every seeded user's password is '{SEED_PASSWORD}'. Counters are recomputed at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1000, help="seeded users wanted (default 1000)")
        parser.add_argument("--posts", type=int, default=20000, help="posts by seeded users wanted (default 20000)")
        parser.add_argument("--follows", type=int, default=50, help="average followees per user (default 50)")
        parser.add_argument("--likes", type=int, default=None, help="likes by seeded users wanted (default 2 x posts)")
        parser.add_argument(
            "--retweets", type=int, default=None, help="retweets by seeded users wanted (default posts / 10)"
        )
        parser.add_argument(
            "--celebrities",
            type=int,
            default=None,
            help="accounts followed by ~97%% of users: seed_000001… (default 1 per 2000 users, 1..5)",
        )
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--batch", type=int, default=20000, help="rows per insert batch (default 20000)")
        parser.add_argument(
            "--followers-share",
            type=float,
            default=0.1,
            help="share of the posts nobody retweets made followers-only (default 0.1)",
        )

    def handle(self, *args, **opts):
        try:
            result = seed(
                users=opts["users"],
                posts=opts["posts"],
                follows=opts["follows"],
                likes=opts["likes"],
                retweets=opts["retweets"],
                celebrities=opts["celebrities"],
                random_seed=opts["seed"],
                batch=opts["batch"],
                followers_share=opts["followers_share"],
                log=self.stderr if opts["verbosity"] >= 1 else None,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.summary(result)

    def summary(self, result: SeedResult) -> None:
        out, timings = self.stdout, result.timings
        out.write(self.style.SUCCESS(f"Seeded data set ready in {timings['total']:.1f} s ({connection.vendor})."))
        for name, value in result.counts.items():
            extra = f"  (+{result.added[name]:,} this run)" if name in result.added else ""
            out.write(f"  {name:<14} {value:>12,}{extra}")
        if result.most_followed:
            out.write("  most followed: " + ", ".join(f"{name} ({count:,})" for name, count in result.most_followed))
        changed = {k: v for k, v in result.fixed.items() if v}
        out.write(f"  counters fixed: {changed or 'none needed'}")
        out.write("  timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
        out.write(f"  log in as seed_000001 … with the password '{SEED_PASSWORD}'")
