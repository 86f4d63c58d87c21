# ruff: noqa: S311 - seed data, not secrets: a seeded, reproducible PRNG is the point
"""A large, realistic data set, seeded fast (for load tests and benchmarks): :func:`seed`, which the
``seed_demo`` command runs.

Everything it makes belongs to the *seeded users*, named ``seed_000001``, ``seed_000002``…
(all with the password ``SEED_PASSWORD``). Seeding again **tops up** to the requested sizes and
never adds a row twice:

* users: the missing ``seed_NNNNNN`` (1..N) are created, with their profiles;
* follows: each seeded user has a target number of followees (about ``follows``, fixed by the random seed);
  users below their target get the missing ones, never one they already have;
* posts, likes and retweets: counted over the seeded users; only the difference to the requested
  total is added (a rerun with the same arguments adds nothing).

Rows are written with ``COPY`` on PostgreSQL and ``bulk_create`` elsewhere (SQLite), in batches.
At the end every denormalised counter (profiles' followers/following/posts, posts' likes/retweets/
replies, hashtags' posts) is recomputed from the rows with set-based ``UPDATE`` statements, and on
PostgreSQL the tables are vacuumed and analysed so the planner sees the new sizes.
"""

import math
import random
import re
import time
from array import array
from bisect import bisect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import connection, models
from django.utils import timezone

from demo.bulk import BulkWriter, allocate_ids, chunks, fast_transaction
from posts.models import MAX_POST_LENGTH, Hashtag, Like, Mention, Post, PostHashtag, Retweet
from users.models import Follow, Profile, User
from users.usernames import username_skeleton


def _split(text: str) -> list[str]:
    return text.split()


SEED_PREFIX = "seed_"
SEED_USERNAME_RE = re.compile(r"^seed_(\d{6,})$")
SEED_PASSWORD = "seed-password-2024"  # noqa: S105 - seeded accounts for local load tests only
POST_WINDOW = timedelta(days=30)
RECENT_WINDOW = timedelta(hours=24)

# Real words for the head of the vocabulary (searchable), syllable-made words for the long tail.
WORDS = _split(
    "the a to and of in is it you that for on my this with be at so just have not are but me we was "
    "all your like what about out can up get now do if one time today new good love day people know "
    "think really want more how going would make see back great still work need some only much first "
    "last right here never well year better life best feel thing way world night week morning weekend "
    "coffee music game team city home friends family book movie show news code data cloud build "
    "release server python django rust javascript design product startup launch meeting project "
    "deadline bug fix deploy test review coffee tea pizza lunch dinner breakfast weather rain sun snow "
    "summer winter spring autumn train bus bike walk run gym football basketball tennis match goal win "
    "lose score season league player coach fans stadium concert album song guitar piano art photo "
    "camera travel trip flight airport hotel beach mountain river lake forest park garden dog cat bird "
    "science space rocket moon mars planet star energy climate policy election vote market stock "
    "crypto bitcoin price money bank job office remote hiring career interview learn study school "
    "university exam research paper open source community conference talk slides workshop meetup "
    "keyboard laptop phone screen battery update version feature issue thread reply question answer "
    "idea plan story history future dream hope happy sad angry tired excited proud sorry thanks please "
    "hello welcome congrats birthday party holiday festival kitchen recipe bread cheese chocolate "
    "banana apple orange salad soup noodles ramen sushi taco burger fries vegan healthy sleep yoga "
    "quiet loud early late fast slow small big long short easy hard simple strange funny amazing "
    "awesome terrible weird classic modern vintage local global digital mobile social network privacy "
    "security password login account feed timeline trend hashtag mention follow unfollow like share"
)
SYLLABLES = _split(
    "ka ri to mu sa ne lo vi da pe zu ro ha mi ke no ta fu be ga yo wa chi shi ra ku me so ni po "
    "lan ter vin dor mel sar tek bon fal gor hul jin kel mor nav pel quin rus sol tam vel wyn zor"
)
TAGS = _split(
    "python django rustlang javascript webdev devops ai ml datascience opensource startup tech news "
    "music photography travel food coffee fitness football nba tennis gaming movies books art design "
    "science space climate crypto bitcoin finance jobs remotework productivity health mentalhealth "
    "yoga running cycling nature cats dogs weekend mondaymotivation throwbackthursday fridayfeeling "
    "election politics economy education history"
)
FIRST_NAMES = _split(
    "Ada Alan Alice Ben Bob Carla Carol Chen Dan Dave Elena Emma Erin Farah Felix Grace Hana Ivan Jana "
    "Jon Kai Kim Lara Leo Lina Luca Maya Mia Nils Nina Omar Olga Paul Priya Quinn Raj Rosa Sam Sara Tom "
    "Uma Vera Wei Yara Yusuf Zoe"
)
LAST_NAMES = _split(
    "Adams Baker Chen Costa Diaz Evans Fischer Garcia Gupta Hansen Ito Jensen Khan Kim Lopez Meyer "
    "Moreau Nagy Novak Okafor Olsen Park Patel Rossi Sato Schmidt Silva Smith Tanaka Usman Virtanen "
    "Wagner Wang Weber Xu Yamamoto Zhang"
)
BIO_BITS = (
    "Coffee first.",
    "Building things on the internet.",
    "Opinions are my own.",
    "Runner, reader, tinkerer.",
    "Here for the memes.",
    "Data nerd.",
    "Making music at night.",
    "Travelling slowly.",
    "Learning in public.",
    "Cat person.",
    "",
)


def zipf_cum_weights(n: int, exponent: float, offset: float = 1.0) -> list[float]:
    """Cumulative weights of ranks 0..n-1 under a Zipf-like law (for ``random.choices``)."""
    return list(accumulate(1.0 / (rank + offset) ** exponent for rank in range(n)))


def vocabulary(size: int, rng: random.Random, head: list[str]) -> list[str]:
    """``head`` followed by distinct made-up words up to ``size`` (deterministic for a given rng)."""
    words = list(dict.fromkeys(head))[:size]
    seen = set(words)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class Progress:
    """Percentage lines on ``stream`` (none without one), at most every ``interval`` seconds or 10 %."""

    def __init__(self, label: str, total: int, stream: TextIO | None, interval: float = 2.0):
        self.label, self.total, self.stream = label, max(total, 0), stream
        self.enabled = stream is not None
        self.done = 0
        self.started = self.last = time.monotonic()
        self.last_pct = -10
        self.interval = interval

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled or not self.total:
            return
        now = time.monotonic()
        pct = int(100 * self.done / self.total)
        if pct >= self.last_pct + 10 or now - self.last >= self.interval or self.done >= self.total:
            self.last, self.last_pct = now, pct
            self.stream.write(
                f"  {self.label:<10} {pct:3d}% ({self.done:,}/{self.total:,})  {now - self.started:6.1f} s\n"
            )
            self.stream.flush()


# Denormalised counters: (table model, counter column, key column of the table,
#                         source model, source column that points at the key).
COUNTERS = [
    (Profile, "followers_count", "user_id", Follow, "followee_id"),
    (Profile, "following_count", "user_id", Follow, "follower_id"),
    (Profile, "posts_count", "user_id", Post, "author_id"),
    (Post, "likes_count", "id", Like, "post_id"),
    (Post, "retweets_count", "id", Retweet, "post_id"),
    (Post, "replies_count", "id", Post, "reply_to_id"),
    (Hashtag, "posts_count", "id", PostHashtag, "hashtag_id"),
]


def fill_search_vectors() -> int:
    """Posts loaded with the triggers off (``session_replication_role``) have no search document:
    compute the missing ones, as the trigger would have."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE posts_post SET search_vector = to_tsvector('simple'::regconfig, COALESCE(content, '')) "
            "WHERE search_vector IS NULL"
        )
        return cursor.rowcount


def recompute_counters() -> dict[str, int]:
    """Set every counter to the real row count, in one set-based UPDATE per counter; only rows whose
    value is wrong are written. Returns the number of rows fixed per counter."""
    q = connection.ops.quote_name
    fixed = {}
    for target, column, key, source, source_column in COUNTERS:
        table, source_table = q(target._meta.db_table), q(source._meta.db_table)
        sql = (
            f"UPDATE {table} AS t SET {q(column)} = COALESCE(s.n, 0) "  # noqa: S608 - names from models
            f"FROM {table} AS t2 LEFT JOIN "
            f"(SELECT {q(source_column)} AS k, COUNT(*) AS n FROM {source_table} "
            f"WHERE {q(source_column)} IS NOT NULL GROUP BY {q(source_column)}) AS s ON s.k = t2.{q(key)} "
            f"WHERE t.{q(key)} = t2.{q(key)} AND t.{q(column)} <> COALESCE(s.n, 0)"
        )
        with fast_transaction(), connection.cursor() as cursor:
            cursor.execute(sql)
            fixed[f"{target._meta.model_name}.{column}"] = max(cursor.rowcount, 0)
    return fixed


@dataclass
class SeedResult:
    """What :func:`seed` left in the database: rows of the seeded users (and every hashtag, post
    hashtag and mention) per kind, the rows this run added, the counters it corrected, its seconds
    per phase (and ``total``) and the three most followed seeded users with their follower counts."""

    counts: dict[str, int]
    added: dict[str, int]
    fixed: dict[str, int]
    timings: dict[str, float]
    most_followed: list[tuple[str, int]]


def seed(
    *,
    users: int,
    posts: int,
    follows: int,
    likes: int | None = None,
    retweets: int | None = None,
    celebrities: int | None = None,
    random_seed: int = 42,
    batch: int = 20000,
    followers_share: float = 0.1,
    log: TextIO | None = None,
) -> SeedResult:
    """Top the seeded data set up to ``users`` users (at least 2) with about ``follows`` followees
    each (a few celebrities followed by almost everyone, the rest Zipf-popular), ``posts`` posts over
    the last 30 days with #hashtags, @mentions and replies, ``likes`` likes (default 2 per post) and
    ``retweets`` retweets (default 1 per 10 posts); ``celebrities`` defaults to 1 per 2000 users,
    1..5. A ``followers_share`` of the posts nobody retweets (about 10% of all by default) are
    ``followers``-only, the rest public. The same ``random_seed`` gives the same data; rows go in
    ``batch`` at a time. Progress goes to ``log`` when given. Raises ``ValueError`` for sizes out of range."""
    if users < 2 or posts < 0 or follows < 0 or not 0 <= followers_share <= 1:
        raise ValueError("Need users >= 2, posts, follows >= 0 and 0 <= followers_share <= 1.")
    if celebrities is None:
        celebrities = max(1, min(5, round(users / 2000)))
    seeder = Seeder(
        random_seed=random_seed,
        batch=batch,
        celebrities=max(0, min(celebrities, users - 1)),
        followers_share=followers_share,
        log=log,
    )
    return seeder.run(
        n_users=users,
        n_posts=posts,
        n_follows=follows,
        n_likes=likes if likes is not None else 2 * posts,
        n_retweets=retweets if retweets is not None else posts // 10,
    )


def seeded_users():
    """The seeded users (``seed_000001``, ``seed_000002``…)."""
    return User.objects.filter(username__regex=r"^seed_[0-9]{6,}$")


class Seeder:
    """One seeding run (see :func:`seed`)."""

    def __init__(self, *, random_seed: int, batch: int, celebrities: int, followers_share: float, log: TextIO | None):
        self.seed = random_seed
        self.followers_share = followers_share
        self.batch = max(100, batch)
        self.n_celebs = celebrities
        self.stream = log
        self.now = timezone.now()

    def run(self, *, n_users: int, n_posts: int, n_follows: int, n_likes: int, n_retweets: int) -> SeedResult:
        timings: dict[str, float] = {}
        started = time.monotonic()

        def phase(name, func, *a):
            t0 = time.monotonic()
            result = func(*a)
            timings[name] = time.monotonic() - t0
            return result

        added = {}
        added["users"] = phase("users", self.seed_users, n_users)
        self.load_population(n_users)
        added["follows"] = phase("follows", self.seed_follows, n_follows)
        added["posts"], added["likes"], added["retweets"] = phase(
            "posts", self.seed_posts, n_posts, n_likes, n_retweets
        )
        fixed = phase("counters", recompute_counters)
        if connection.vendor == "postgresql":
            phase("search", fill_search_vectors)
            phase("analyze", self.analyze)
        timings["total"] = time.monotonic() - started
        return SeedResult(
            counts=self.counts(), added=added, fixed=fixed, timings=timings, most_followed=self.most_followed()
        )

    def log(self, message: str) -> None:
        if self.stream is not None:
            self.stream.write(message + "\n")

    # --- users ---------------------------------------------------------------------------------

    def existing_seeded(self) -> dict[int, int]:
        found = {}
        for user_id, username in seeded_users().values_list("id", "username"):
            match = SEED_USERNAME_RE.match(username)
            if match:
                found[int(match.group(1))] = user_id
        return found

    def seed_users(self, n_users: int) -> int:
        existing = self.existing_seeded()
        missing = [i for i in range(1, n_users + 1) if i not in existing]
        self.log(f"users: {len(existing):,} seeded exist, adding {len(missing):,}")
        password = make_password(SEED_PASSWORD)  # hashed once, shared by every seeded account
        users = BulkWriter(
            User,
            [
                *("id", "username", "username_skeleton", "email", "password"),
                *("first_name", "last_name", "date_joined", "is_active"),
            ],
            self.batch,
        )
        profiles = BulkWriter(Profile, ["user_id", "display_name", "bio"], self.batch)
        progress = Progress("users", len(missing), self.stream)
        for batch in chunks(missing, self.batch):
            ids = allocate_ids(User, len(batch))
            user_rows, profile_rows = [], []
            for index, user_id in zip(batch, ids, strict=True):
                rng = random.Random(f"{self.seed}:user:{index}")
                username = f"{SEED_PREFIX}{index:06d}"
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                joined = self.now - timedelta(days=30 + 700 * rng.random())
                skeleton = username_skeleton(username)
                email = f"{username}@example.com"
                user_rows.append((user_id, username, skeleton, email, password, first, last, joined, True))
                profile_rows.append((user_id, f"{first} {last}", rng.choice(BIO_BITS)))
            with fast_transaction():
                users.write(user_rows)
                profiles.write(profile_rows)
            progress.advance(len(batch))
        # Seeded users made by an interrupted older run, or otherwise, without a profile get one.
        orphans = list(seeded_users().filter(profile__isnull=True).values_list("id", flat=True))
        if orphans:
            with fast_transaction():
                profiles.write([(user_id, "", "") for user_id in orphans])
        return len(missing)

    def load_population(self, n_users: int) -> None:
        """Ids of seeded users 1..N, their popularity (who gets followed, liked and mentioned) and
        activity (who posts and likes) weights."""
        by_index = self.existing_seeded()
        self.indices = [i for i in sorted(by_index) if i <= n_users]
        self.user_ids = [by_index[i] for i in self.indices]
        self.username = {by_index[i]: f"{SEED_PREFIX}{i:06d}" for i in self.indices}
        n = len(self.user_ids)
        self.celebs = self.user_ids[: self.n_celebs]
        rng = random.Random(f"{self.seed}:population")
        others = self.user_ids[self.n_celebs :]
        by_popularity = others[:]
        rng.shuffle(by_popularity)
        # Followees other than the celebrities: Zipf over a random ranking.
        self.popular_ids = by_popularity
        self.popular_cum = zipf_cum_weights(len(by_popularity), 0.75, offset=10.0)
        # Popularity of every user for likes and mentions: celebrities above everyone.
        weight = {user_id: 1.0 / (rank + 10.0) ** 0.75 for rank, user_id in enumerate(by_popularity)}
        for user_id in self.celebs:
            weight[user_id] = 1.0
        self.popularity = weight
        self.mention_ids = list(weight)
        self.mention_cum = list(accumulate(weight[u] for u in self.mention_ids))
        # Activity: a different ranking, milder skew; celebrities post a lot too.
        by_activity = self.user_ids[:]
        rng.shuffle(by_activity)
        activity = {user_id: 1.0 / (rank + 5.0) ** 0.7 for rank, user_id in enumerate(by_activity)}
        for user_id in self.celebs:
            activity[user_id] = max(activity.values(), default=1.0)
        self.active_ids = by_activity
        self.active_cum = list(accumulate(activity[u] for u in by_activity))
        self.n_population = n

    # --- follows -------------------------------------------------------------------------------

    def seed_follows(self, n_follows: int) -> int:
        ids = self.user_ids
        n = len(ids)
        if n < 2 or n_follows == 0:
            return 0
        current: dict[int, int] = dict(
            Follow.objects.filter(follower_id__in=seeded_users().values("id"))
            .values("follower_id")
            .annotate(n=models.Count("id"))
            .values_list("follower_id", "n")
        )
        targets = {}
        for index, user_id in zip(self.indices, ids, strict=True):
            rng = random.Random(f"{self.seed}:follows:{index}")
            targets[user_id] = min(n - 1, max(1, round(n_follows * rng.uniform(0.5, 1.5))))
        todo = [user_id for user_id in ids if current.get(user_id, 0) < targets[user_id]]
        self.log(f"follows: {sum(current.values()):,} by seeded users exist, {len(todo):,} users to top up")
        if not todo:
            return 0
        have: dict[int, set[int]] = {user_id: set() for user_id in todo}
        if current:
            for chunk in chunks(todo, 5000):
                for follower_id, followee_id in Follow.objects.filter(follower_id__in=chunk).values_list(
                    "follower_id", "followee_id"
                ):
                    have[follower_id].add(followee_id)
        writer = BulkWriter(Follow, ["follower_id", "followee_id", "created_at"], self.batch)
        progress = Progress("follows", len(todo), self.stream)
        rows: list[tuple] = []
        added = 0
        span = 90 * 86400.0
        popular, cum = self.popular_ids, self.popular_cum
        for user_id in todo:
            rng = random.Random(f"{self.seed}:follows:{user_id}:{len(have[user_id])}")
            chosen = have[user_id]
            wanted = targets[user_id] - len(chosen)
            new: list[int] = []
            for celeb in self.celebs:
                if celeb != user_id and celeb not in chosen and rng.random() < 0.97:
                    new.append(celeb)
                    chosen.add(celeb)
            rounds = 0
            while len(new) < wanted and rounds < 30 and popular:
                rounds += 1
                for followee in rng.choices(popular, cum_weights=cum, k=2 * (wanted - len(new)) + 8):
                    if followee != user_id and followee not in chosen:
                        chosen.add(followee)
                        new.append(followee)
                        if len(new) >= wanted:
                            break
            if len(new) < wanted:  # a very dense graph: fill uniformly from whoever is left
                rest = [u for u in ids if u != user_id and u not in chosen]
                rng.shuffle(rest)
                new.extend(rest[: wanted - len(new)])
            for followee in new:
                rows.append((user_id, followee, self.now - timedelta(seconds=span * rng.random())))
            if len(rows) >= self.batch:
                with fast_transaction():
                    added += writer.write(rows)
                rows = []
            progress.advance(1)
        with fast_transaction():
            added += writer.write(rows)
        return added

    # --- posts, hashtags, mentions, likes, retweets -------------------------------------------

    def seed_posts(self, n_posts: int, n_likes: int, n_retweets: int) -> tuple[int, int, int]:
        seeded = seeded_users().values("id")
        existing_posts = Post.objects.filter(author_id__in=seeded).count()
        existing_likes = Like.objects.filter(user_id__in=seeded).count()
        existing_retweets = Retweet.objects.filter(user_id__in=seeded).count()
        need_posts = max(0, n_posts - existing_posts)
        need_likes = max(0, n_likes - existing_likes)
        need_retweets = max(0, n_retweets - existing_retweets)
        self.log(
            f"posts: {existing_posts:,} exist, adding {need_posts:,}; likes: {existing_likes:,} exist, "
            f"adding {need_likes:,}; retweets: {existing_retweets:,} exist, adding {need_retweets:,}"
        )
        if not (need_posts or need_likes or need_retweets) or not self.user_ids:
            return 0, 0, 0
        rng = random.Random(f"{self.seed}:posts:{existing_posts}:{existing_likes}:{existing_retweets}")
        now_ts = self.now.timestamp()

        # 1. Plan the new posts: time (ascending, so ids follow time), author, reply target.
        window, recent = POST_WINDOW.total_seconds(), RECENT_WINDOW.total_seconds()
        times = array(
            "d",
            sorted(
                now_ts - (recent if rng.random() < 0.08 else window) * rng.random() - 1.0 for _ in range(need_posts)
            ),
        )
        authors = array("q", rng.choices(self.active_ids, cum_weights=self.active_cum, k=need_posts))
        replies_to = array("q", [0]) * need_posts  # index + 1 of the parent among new posts, 0 for none
        for j in range(1, need_posts):
            if rng.random() < 0.15:
                replies_to[j] = j - rng.randint(1, min(j, 2000)) + 1
        post_ids = array("q", allocate_ids(Post, need_posts))
        index_of = {post_id: j for j, post_id in enumerate(post_ids)}
        likes_count, retweets_count, replies_count = (array("q", [0]) * need_posts for _ in range(3))
        for j in range(need_posts):
            if replies_to[j]:
                replies_count[replies_to[j] - 1] += 1

        # 2. Plan likes and retweets over all seeded posts, so new posts get their counters right away.
        likes, retweets = array("q"), array("q")  # flattened (user_id, post_id, time as int seconds)
        if need_likes or need_retweets:
            all_ids, all_authors, all_times = array("q"), array("q"), array("d")
            if existing_posts:
                for post_id, author_id, created_at in (
                    Post.objects.filter(author_id__in=seeded).values_list("id", "author_id", "created_at").iterator()
                ):
                    all_ids.append(post_id)
                    all_authors.append(author_id)
                    all_times.append(created_at.timestamp())
            all_ids.extend(post_ids)
            all_authors.extend(authors)
            all_times.extend(times)
            if all_ids:
                popularity = self.popularity
                post_cum = list(accumulate(popularity.get(a, 0.01) for a in all_authors))
                for target, need, model, counts, no_self in (
                    (likes, need_likes, Like, likes_count, False),
                    (retweets, need_retweets, Retweet, retweets_count, True),
                ):
                    if need:
                        self.plan_reactions(
                            rng, target, need, model, counts, no_self, all_ids, all_authors, all_times, post_cum,
                            index_of, now_ts,
                        )  # fmt: skip

        # 3. Write posts with their hashtags and mentions, batch by batch.
        if need_posts:
            self.write_posts(rng, post_ids, times, authors, replies_to, likes_count, retweets_count, replies_count)
        # 4. Likes and retweets.
        for name, model, flat in (("likes", Like, likes), ("retweets", Retweet, retweets)):
            writer = BulkWriter(model, ["user_id", "post_id", "created_at"], self.batch)
            total = len(flat) // 3
            progress = Progress(name, total, self.stream)
            step = 3 * self.batch
            for start in range(0, len(flat), step):
                part = flat[start : start + step]
                rows = [
                    (part[k], part[k + 1], datetime.fromtimestamp(part[k + 2], tz=UTC)) for k in range(0, len(part), 3)
                ]
                with fast_transaction():
                    writer.write(rows)
                progress.advance(len(rows))
        return need_posts, len(likes) // 3, len(retweets) // 3

    def plan_reactions(
        self, rng, out, need, model, counts, no_self, all_ids, all_authors, all_times, post_cum, index_of, now_ts
    ):
        """Pick ``need`` new (user, post) pairs: users by activity, posts by their author's popularity;
        unique per user and post, never a user's own post when ``no_self``."""
        taken: set[int] = set()
        seeded = seeded_users().values("id")
        if model.objects.filter(user_id__in=seeded).exists():
            for user_id, post_id in model.objects.filter(user_id__in=seeded).values_list("user_id", "post_id"):
                taken.add(user_id << 32 | post_id)
        n_posts = len(all_ids)
        got, attempts = 0, 0
        limit = 20 * need + 1000
        while got < need and attempts < limit:
            k = min(100000, 2 * (need - got) + 16)
            attempts += k
            users = rng.choices(self.active_ids, cum_weights=self.active_cum, k=k)
            picks = rng.choices(range(n_posts), cum_weights=post_cum, k=k)
            for user_id, p in zip(users, picks, strict=True):
                if no_self and all_authors[p] == user_id:
                    continue
                post_id = all_ids[p]
                key = user_id << 32 | post_id
                if key in taken:
                    continue
                taken.add(key)
                created = all_times[p]
                at = created + (now_ts - created) * rng.random() ** 3
                out.extend((user_id, post_id, min(math.ceil(at), int(now_ts))))
                j = index_of.get(post_id)
                if j is not None:
                    counts[j] += 1
                got += 1
                if got >= need:
                    break

    def write_posts(self, rng, post_ids, times, authors, replies_to, likes_count, retweets_count, replies_count):
        n = len(post_ids)
        tag_names = vocabulary(max(50, min(5000, n // 200)), random.Random(f"{self.seed}:tags"), TAGS)
        tag_cum = zipf_cum_weights(len(tag_names), 1.0, offset=1.5)
        # Trending today: a handful of mid-ranked tags get a burst in the last 24 hours.
        hot = tag_names[min(5, len(tag_names) - 10) :][:200]
        hot = random.Random(f"{self.seed}:hot").sample(hot, min(10, len(hot)))
        hot_cum = zipf_cum_weights(len(hot), 0.8)
        words = vocabulary(2500, random.Random(f"{self.seed}:words"), WORDS)
        word_cum = zipf_cum_weights(len(words), 1.1, offset=2.0)

        existing_tags = set(Hashtag.objects.filter(name__in=tag_names).values_list("name", flat=True))
        BulkWriter(Hashtag, ["name", "created_at"], self.batch).write(
            [(name, self.now - POST_WINDOW) for name in tag_names if name not in existing_tags]
        )
        tag_id = dict(Hashtag.objects.filter(name__in=tag_names).values_list("name", "id"))

        post_writer = BulkWriter(
            Post,
            [
                "id",
                "author_id",
                "content",
                "created_at",
                "reply_to_id",
                "likes_count",
                "retweets_count",
                "replies_count",
                "visibility",
            ],
            self.batch,
        )
        # Its own random stream, so that the other columns stay what the same seed always gave.
        visibility_rng = random.Random(f"{self.seed}:visibility")
        followers_share = self.followers_share
        tag_writer = BulkWriter(PostHashtag, ["post_id", "hashtag_id", "created_at"], self.batch)
        mention_writer = BulkWriter(Mention, ["post_id", "user_id"], self.batch)
        recent_since = (self.now - RECENT_WINDOW).timestamp()
        username = self.username
        progress = Progress("posts", n, self.stream)
        for start in range(0, n, self.batch):
            stop = min(n, start + self.batch)
            stream = rng.choices(words, cum_weights=word_cum, k=28 * (stop - start))
            pos = 0
            post_rows, tag_rows, mention_rows = [], [], []
            for j in range(start, stop):
                post_id, author_id, ts = post_ids[j], authors[j], times[j]
                created = datetime.fromtimestamp(ts, tz=UTC)
                is_recent = ts >= recent_since
                # Hashtags: more of them today, partly from the trending set; the newest post always has one.
                tags: list[str] = []
                if rng.random() < (0.6 if is_recent else 0.3) or j == n - 1:
                    for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
                        if is_recent and rng.random() < 0.5:
                            name = rng.choices(hot, cum_weights=hot_cum)[0]
                        else:
                            name = tag_names[bisect(tag_cum, rng.random() * tag_cum[-1])]
                        if name not in tags:
                            tags.append(name)
                # Mentions: a reply names the author it answers; some posts name popular users.
                mentioned: list[int] = []
                parent = replies_to[j] - 1 if replies_to[j] else None
                if parent is not None and authors[parent] != author_id:
                    mentioned.append(authors[parent])
                if rng.random() < 0.1:
                    for _ in range(1 + (rng.random() < 0.2)):
                        user_id = self.mention_ids[bisect(self.mention_cum, rng.random() * self.mention_cum[-1])]
                        if user_id != author_id and user_id not in mentioned:
                            mentioned.append(user_id)
                prefix = "".join(f"@{username[u]} " for u in mentioned)
                suffix = "".join(f" #{name}" for name in tags)
                room = MAX_POST_LENGTH - len(prefix) - len(suffix)
                length = rng.randint(4, 28)
                body_words = stream[pos : pos + length]
                pos += length
                body = " ".join(body_words)
                if len(body) > room:
                    body = body[:room].rsplit(" ", 1)[0] if " " in body[:room] else body[: max(room, 0)]
                body = body.capitalize()
                content = (prefix + body + suffix).strip()
                post_rows.append(
                    (
                        post_id,
                        author_id,
                        content,
                        created,
                        post_ids[parent] if parent is not None else None,
                        likes_count[j],
                        retweets_count[j],
                        replies_count[j],
                        # Retweeted posts stay public: a followers-only post can't be retweeted.
                        Post.Visibility.FOLLOWERS
                        if visibility_rng.random() < followers_share and not retweets_count[j]
                        else Post.Visibility.PUBLIC,
                    )
                )
                tag_rows.extend((post_id, tag_id[name], created) for name in tags)
                mention_rows.extend((post_id, user_id) for user_id in mentioned)
            with fast_transaction():
                post_writer.write(post_rows)
                tag_writer.write(tag_rows)
                mention_writer.write(mention_rows)
            progress.advance(stop - start)

    # --- finishing -----------------------------------------------------------------------------

    def analyze(self) -> None:
        """VACUUM ANALYZE the seeded tables: fresh statistics for the planner, and a visibility map
        so index-only scans work right away (autovacuum would do it later)."""
        tables = [m._meta.db_table for m in (User, Profile, Follow, Post, Hashtag, PostHashtag, Mention, Like, Retweet)]
        # VACUUM cannot run inside a transaction (e.g. a test's): plain ANALYZE there.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {connection.ops.quote_name(table)}")

    def counts(self) -> dict[str, int]:
        ids = seeded_users().values("id")
        return {
            "users": seeded_users().count(),
            "follows": Follow.objects.filter(follower_id__in=ids).count(),
            "posts": Post.objects.filter(author_id__in=ids).count(),
            "replies": Post.objects.filter(author_id__in=ids, reply_to__isnull=False).count(),
            "likes": Like.objects.filter(user_id__in=ids).count(),
            "retweets": Retweet.objects.filter(user_id__in=ids).count(),
            "hashtags": Hashtag.objects.count(),
            "post hashtags": PostHashtag.objects.count(),
            "mentions": Mention.objects.count(),
        }

    def most_followed(self) -> list[tuple[str, int]]:
        return list(
            Profile.objects.filter(user__in=seeded_users().values("id"))
            .order_by("-followers_count")
            .values_list("user__username", "followers_count")[:3]
        )
