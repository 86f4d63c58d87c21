"""Home timelines in Redis, filled by fan-out on write (``FEED_BACKEND=redis``).

Each active user's home timeline is a sorted set ``tl:h:<user>`` of post ids scored by the time the
post entered the feed in microseconds since the epoch (exact in a double up to 2^53, so the score
*is* the cursor's ``entry_at``), beside a hash ``tl:hm:<user>`` from post id to
``"<feed_id>:<author id>:<retweeter id or 0>"``. A post is a member once, at its newest entry: an
entry only replaces the member's score when it is newer (ties by ``feed_id``), so the feed's dedupe
and its ``(entry_at, feed_id)`` cursor hold in Redis exactly as in :mod:`posts.feed`. The hash also
carries the timeline's state in fields starting with ``_``: ``_b`` (built), ``_k`` (the followed
accounts merged in at read time) and ``_h`` (the horizon: entries at or below that score may be
missing, because the set was capped or rebuilt partially). Pages above the horizon come from
Redis in one script call; pages below it come from the database selector. Both keys, and every
change to them, go through small Lua scripts, so they stay consistent and capped at
``TIMELINE_MAX_ENTRIES`` atomically.

Writes: a post or retweet goes at once into its author's own home timeline and user timeline
(``tl:u:<user>``, same layout: the account's own entries), then a Celery task fans it out to the
followers' timelines in batches of ``TIMELINE_FANOUT_BATCH`` (one task each, shared by the workers),
each batch one pipeline. Only timelines that exist are written: they expire after
``TIMELINE_ACTIVE_DAYS`` days without a read, so inactive users cost nothing and are rebuilt from
the database on their next read (served from the database meanwhile). Every write is idempotent
(member = post id), so a batch delivered twice after a worker died changes nothing. Accounts with
more than ``TIMELINE_CELEBRITY_FOLLOWERS`` followers are not fanned out: their user timeline is
merged in at read time by the same script. Deletes and unretweets are removed the same way; when
a removed entry was a retweet, the follower's next-newest entry of that post (the post itself or
another retweet) is put back from the database.

Redis holds nothing that the database does not: a lost Redis, or a lost key, is rebuilt on read.
The read script reaches the merged accounts' keys by name, which is fine on one Redis server (not on
Redis Cluster).
"""

import logging
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import redis
from django.conf import settings
from django.db import transaction

from outbox.services import enqueue_on_commit, enqueue_transient, run_on_commit
from users.models import Follow, Profile

from . import feed
from .models import Post, Retweet

logger = logging.getLogger(__name__)

PREFIX = "tl:"
CELEBRITIES_KEY = f"{PREFIX}celebrities"
BUILDING_SECONDS = 60
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def enabled() -> bool:
    return settings.FEED_BACKEND == "redis" and bool(settings.REDIS_URL)


def micros(at: datetime) -> int:
    return (at - EPOCH) // ONE_US


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def home_keys(user_id: int) -> tuple[str, str, str]:
    """(sorted set, hash, "being rebuilt" marker) of a home timeline."""
    return f"{PREFIX}h:{user_id}", f"{PREFIX}hm:{user_id}", f"{PREFIX}hb:{user_id}"


def user_keys(user_id: int) -> tuple[str, str, str]:
    """The same for a user timeline (the account's own posts and retweets)."""
    return f"{PREFIX}u:{user_id}", f"{PREFIX}um:{user_id}", f"{PREFIX}ub:{user_id}"


@dataclass(frozen=True)
class Entry:
    post_id: int
    score: int  # entry time in µs since the epoch
    feed_id: int
    author_id: int
    retweeter_id: int = 0

    def value(self) -> str:
        return f"{self.feed_id}:{self.author_id}:{self.retweeter_id}"

    def args(self) -> list:
        return [self.post_id, self.score, self.value()]

    def as_list(self) -> list[int]:
        return [self.post_id, self.score, self.feed_id, self.author_id, self.retweeter_id]

    @classmethod
    def from_list(cls, row: Sequence[int]) -> "Entry":
        return cls(*row)

    @classmethod
    def for_post(cls, *, post_id: int, author_id: int, created_at: datetime) -> "Entry":
        return cls(post_id, micros(created_at), feed.post_feed_id(post_id), author_id)

    @classmethod
    def for_retweet(
        cls, *, retweet_id: int, post_id: int, author_id: int, user_id: int, created_at: datetime
    ) -> "Entry":
        return cls(post_id, micros(created_at), feed.retweet_feed_id(retweet_id), author_id, user_id)


# --- Redis and the scripts ------------------------------------------------------------------

_LUA_COMMON = """
local function fid_of(v) return tonumber(string.match(v, '^(%d+)')) end
-- Put one entry in (z, m) unless the post is already there at a newer or equal entry, or the
-- entry is at or below the horizon.
local function add(z, m, post, score_s, val, floor)
  local score = tonumber(score_s)
  if floor and score <= floor then return 0 end
  local cur = redis.call('ZSCORE', z, post)
  if cur then
    cur = tonumber(cur)
    if score < cur then return 0 end
    if score == cur then
      local old = redis.call('HGET', m, post)
      if old and fid_of(old) >= fid_of(val) then return 0 end
    end
  end
  redis.call('ZADD', z, score_s, post)
  redis.call('HSET', m, post, val)
  return 1
end
-- Keep the newest ``cap`` entries; the horizon rises to the newest entry dropped.
local function trim(z, m, cap)
  local n = redis.call('ZCARD', z)
  if n > cap then
    local gone = redis.call('ZPOPMIN', z, n - cap)
    for i = 1, #gone, 2 do redis.call('HDEL', m, gone[i]) end
    local top = gone[#gone]
    local h = redis.call('HGET', m, '_h')
    if (not h) or tonumber(top) > tonumber(h) then redis.call('HSET', m, '_h', top) end
  end
end
local function floor_of(m)
  local h = redis.call('HGET', m, '_h')
  if h then return tonumber(h) end
  return nil
end
"""

# KEYS: zset, hash, building marker. ARGV: cap, ttl, then (post, score, value) triples.
# Writes only into a timeline that exists or is being rebuilt; -1 otherwise.
ADD_LUA = (
    _LUA_COMMON
    + """
local z, m, b = KEYS[1], KEYS[2], KEYS[3]
if redis.call('HEXISTS', m, '_b') == 0 and redis.call('EXISTS', b) == 0 then return -1 end
local floor = floor_of(m)
local n = 0
for i = 3, #ARGV, 3 do n = n + add(z, m, ARGV[i], ARGV[i + 1], ARGV[i + 2], floor) end
trim(z, m, tonumber(ARGV[1]))
if redis.call('TTL', m) < 0 then
  redis.call('EXPIRE', m, ARGV[2])
  if redis.call('EXISTS', z) == 1 then redis.call('EXPIRE', z, ARGV[2]) end
end
return n
"""
)

# Fan-out: one entry into many timelines. KEYS: (zset, hash, building marker) per user. ARGV: cap,
# ttl, post, score, value. Returns how many timelines took it.
PUSH_LUA = (
    _LUA_COMMON
    + """
local cap, ttl, post, score, val = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local n = 0
for i = 1, #KEYS, 3 do
  local z, m = KEYS[i], KEYS[i + 1]
  if redis.call('HEXISTS', m, '_b') == 1 or redis.call('EXISTS', KEYS[i + 2]) == 1 then
    n = n + add(z, m, post, score, val, floor_of(m))
    trim(z, m, cap)
    if redis.call('TTL', m) < 0 then
      redis.call('EXPIRE', m, ttl)
      redis.call('EXPIRE', z, ttl)
    end
  end
end
return n
"""
)

# KEYS: zset, hash, building marker. ARGV: cap, ttl, horizon ('' for none), merged accounts
# ("1,2,3"), the build's token, then (post, score, value) triples: the timeline as computed from the
# database, merged with whatever fan-out wrote while it was being computed. 0 (nothing loaded) when
# the marker no longer holds the token: a removal since may not be in what the database was read as.
LOAD_LUA = (
    _LUA_COMMON
    + """
local z, m, b = KEYS[1], KEYS[2], KEYS[3]
if redis.call('GET', b) ~= ARGV[5] then return 0 end
if ARGV[3] ~= '' then
  local h = floor_of(m)
  if (not h) or tonumber(ARGV[3]) > h then redis.call('HSET', m, '_h', ARGV[3]) end
end
local floor = floor_of(m)
for i = 6, #ARGV, 3 do add(z, m, ARGV[i], ARGV[i + 1], ARGV[i + 2], floor) end
trim(z, m, tonumber(ARGV[1]))
redis.call('HSET', m, '_b', '1', '_k', ARGV[4])
redis.call('EXPIRE', m, ARGV[2])
if redis.call('EXISTS', z) == 1 then redis.call('EXPIRE', z, ARGV[2]) end
redis.call('DEL', b)
return 1
"""
)

# KEYS: zset, hash. ARGV: post, feed id ('' = whatever entry). 1 when removed.
REMOVE_LUA = (
    _LUA_COMMON
    + """
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return 0 end
if ARGV[2] ~= '' and fid_of(v) ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""
)

# KEYS: zset, hash. ARGV: account id. Removes the account's posts and retweets; returns the posts.
REMOVE_SOURCE_LUA = """
local all = redis.call('HGETALL', KEYS[2])
local gone = {}
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 1) ~= '_' then
    local _, a, r = string.match(all[i + 1], '^(%d+):(%d+):(%d+)$')
    if r == ARGV[1] or (r == '0' and a == ARGV[1]) then gone[#gone + 1] = f end
  end
end
for _, p in ipairs(gone) do
  redis.call('ZREM', KEYS[1], p)
  redis.call('HDEL', KEYS[2], p)
end
return gone
"""

# KEYS: hash. ARGV: 'add' or 'del', account id. The accounts merged in at read time.
MERGED_LUA = """
if redis.call('HEXISTS', KEYS[1], '_b') == 0 then return 0 end
local ids = {}
for id in string.gmatch(redis.call('HGET', KEYS[1], '_k') or '', '%d+') do
  if id ~= ARGV[2] then ids[#ids + 1] = id end
end
if ARGV[1] == 'add' then ids[#ids + 1] = ARGV[2] end
redis.call('HSET', KEYS[1], '_k', table.concat(ids, ','))
return 1
"""

# KEYS: home zset, home hash. ARGV: cursor score ('+inf' without a cursor), cursor feed id ('-1'),
# entries wanted, ttl, key prefix.
# Returns {'cold', ids...} (0 = the home timeline, else accounts whose user timeline is missing),
# {'db'} (the page reaches below what Redis holds) or {'ok', complete, post, score, value, ...}.
READ_LUA = (
    _LUA_COMMON
    + """
local zh, mh = KEYS[1], KEYS[2]
local maxs, want, ttl, pre = ARGV[1], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local cur_s, cur_f = tonumber(maxs), tonumber(ARGV[2])
if maxs == '+inf' then cur_s = nil end
if redis.call('HEXISTS', mh, '_b') == 0 then return {'cold', '0'} end
local srcs = {{zh, mh}}
local cold = {'cold'}
for id in string.gmatch(redis.call('HGET', mh, '_k') or '', '%d+') do
  local z, m = pre .. 'u:' .. id, pre .. 'um:' .. id
  if redis.call('HEXISTS', m, '_b') == 0 then cold[#cold + 1] = id end
  srcs[#srcs + 1] = {z, m}
end
if #cold > 1 then return cold end
local hs, ls, lf = nil, nil, nil
local cands = {}
for i, s in ipairs(srcs) do
  local h = floor_of(s[2])
  if h and ((not hs) or h > hs) then hs = h end
  local extra = 0
  if cur_s then extra = redis.call('ZCOUNT', s[1], maxs, maxs) end
  local lim = want + extra
  local rows = redis.call('ZREVRANGEBYSCORE', s[1], maxs, '-inf', 'WITHSCORES', 'LIMIT', 0, lim)
  local last_f = nil
  for j = 1, #rows, 2 do
    local val = redis.call('HGET', s[2], rows[j])
    if val then
      local sc, f = tonumber(rows[j + 1]), fid_of(val)
      last_f = f
      if not (cur_s and sc == cur_s and f >= cur_f) then
        cands[#cands + 1] = {rows[j], sc, f, val, i, rows[j + 1]}
      end
    end
  end
  if #rows >= 2 * lim and last_f then
    local last_s = tonumber(rows[#rows])
    if (not ls) or last_s > ls or (last_s == ls and last_f > lf) then ls, lf = last_s, last_f end
  end
end
local out = {}
for _, c in ipairs(cands) do
  local ok = not (hs and c[2] <= hs)
  if ok and ls and (c[2] < ls or (c[2] == ls and c[3] < lf)) then ok = false end
  if ok and #srcs > 1 then
    for i, s in ipairs(srcs) do
      if i ~= c[5] then
        local o = redis.call('ZSCORE', s[1], c[1])
        if o then
          o = tonumber(o)
          if o > c[2] or (o == c[2] and fid_of(redis.call('HGET', s[2], c[1]) or '0') > c[3]) then
            ok = false
            break
          end
        end
      end
    end
  end
  if ok then out[#out + 1] = c end
end
table.sort(out, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  return a[3] > b[3]
end)
local complete = (hs == nil and ls == nil)
if #out < want - 1 and not complete then return {'db'} end
for _, s in ipairs(srcs) do
  redis.call('EXPIRE', s[2], ttl)
  redis.call('EXPIRE', s[1], ttl)
end
local res = {'ok', complete and '1' or '0'}
for i = 1, math.min(#out, want) do
  local c = out[i]
  res[#res + 1] = c[1]
  res[#res + 1] = c[6]
  res[#res + 1] = c[4]
end
return res
"""
)


class _Scripts:
    def __init__(self, client: redis.Redis):
        self.add = client.register_script(ADD_LUA)
        self.push = client.register_script(PUSH_LUA)
        self.load = client.register_script(LOAD_LUA)
        self.remove = client.register_script(REMOVE_LUA)
        self.remove_source = client.register_script(REMOVE_SOURCE_LUA)
        self.merged = client.register_script(MERGED_LUA)
        self.read = client.register_script(READ_LUA)


@lru_cache(maxsize=4)
def _connect(url: str) -> tuple[redis.Redis, _Scripts]:
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30)
    return client, _Scripts(client)


def client() -> redis.Redis:
    return _connect(settings.REDIS_URL)[0]


def scripts() -> _Scripts:
    return _connect(settings.REDIS_URL)[1]


def clear_all() -> int:
    """Delete every timeline key (tests, benchmarks): they are rebuilt on the next read."""
    conn, deleted, batch = client(), 0, []
    for key in conn.scan_iter(match=f"{PREFIX}*", count=5000):
        batch.append(key)
        if len(batch) >= 5000:
            deleted += conn.unlink(*batch)
            batch = []
    if batch:
        deleted += conn.unlink(*batch)
    return deleted


def _ttl() -> int:
    return max(1, settings.TIMELINE_ACTIVE_DAYS) * 86400


def _cap() -> int:
    return settings.TIMELINE_MAX_ENTRIES


# --- Reading --------------------------------------------------------------------------------


def read_page(*, viewer_id: int, cursor: "feed.Cursor | None", size: int) -> "feed.FeedPage | None":
    """A page from the viewer's timeline, or None when the database must answer: the timeline (or
    a merged account's) is not built yet (a rebuild is scheduled), or the page reaches below what
    Redis holds. Raises ``redis.RedisError`` when Redis fails."""
    z, m, _ = home_keys(viewer_id)
    max_score = str(micros(cursor.entry_at)) if cursor else "+inf"
    cursor_fid = str(cursor.feed_id) if cursor else "-1"
    result = scripts().read(keys=[z, m], args=[max_score, cursor_fid, size + 1, _ttl(), PREFIX])
    kind = result[0]
    if kind == b"cold":
        for raw in result[1:]:
            account = int(raw)
            schedule_rebuild(home=viewer_id) if account == 0 else schedule_rebuild(user=account)
        return None
    if kind == b"db":
        return None
    complete = result[1] == b"1"
    entries = []
    for i in range(2, len(result), 3):
        feed_id, _author, retweeter = (int(x) for x in result[i + 2].split(b":"))
        entries.append(feed.FeedEntry(int(result[i]), from_micros(int(result[i + 1])), feed_id, retweeter or None))
    page = entries[:size]
    has_next = len(entries) > size or (not complete and len(page) == size)
    next_cursor = feed.Cursor(page[-1].entry_at, page[-1].feed_id) if has_next and page else None
    return feed.FeedPage(page, next_cursor)


def schedule_rebuild(*, home: int | None = None, user: int | None = None) -> None:
    """Rebuild a timeline in a task, once (the "being rebuilt" marker doubles as the lock)."""
    from .tasks import timeline_rebuild_task

    marker = home_keys(home)[2] if home is not None else user_keys(user)[2]
    if client().set(marker, 1, nx=True, ex=BUILDING_SECONDS):
        # Asked for again by the next read if lost: no outbox row.
        if home is not None:
            enqueue_transient(timeline_rebuild_task, home_id=home)
        else:
            enqueue_transient(timeline_rebuild_task, user_id=user)


# --- Building from the database -------------------------------------------------------------


def is_celebrity(followers_count: int) -> bool:
    return followers_count > settings.TIMELINE_CELEBRITY_FOLLOWERS


def _entries_with_authors(entries: list["feed.FeedEntry"]) -> list[Entry]:
    authors = dict(Post.objects.filter(pk__in={e.post_id for e in entries}).values_list("id", "author_id"))
    return [
        Entry(e.post_id, micros(e.entry_at), e.feed_id, authors[e.post_id], e.retweeted_by_id or 0)
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
    page = feed._compute_page(source_ids, None, _cap())
    entries = _entries_with_authors(page.entries)
    horizon = str(entries[-1].score) if page.next_cursor is not None and entries else ""
    args: list = [_cap(), _ttl(), horizon, ",".join(map(str, merged)), token]
    for entry in entries:
        args += entry.args()
    if not scripts().load(keys=list(keys), args=args):
        logger.info("timeline %s changed while it was built; built again on its next read", keys[0])
        return 0
    return len(entries)


def _stop_builds(markers: Iterable[str]) -> None:
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


# --- Writing --------------------------------------------------------------------------------


def _pipeline_add(keyed: Iterable[tuple[tuple[str, str, str], list[Entry]]]) -> None:
    cap, ttl, add = _cap(), _ttl(), scripts().add
    pipe = client().pipeline(transaction=False)
    for keys, entries in keyed:
        if entries:
            args: list = [cap, ttl]
            for entry in entries:
                args += entry.args()
            add(keys=list(keys), args=args, client=pipe)
    pipe.execute()


PUSH_KEYS_PER_CALL = 100


def push(entry: Entry, user_ids: Iterable[int]) -> int:
    """Fan-out of one entry to these users' home timelines (those that exist): one pipeline of
    script calls, each covering ``PUSH_KEYS_PER_CALL`` users (short enough not to hold Redis up).
    Returns how many timelines took it (0 for those that already had it)."""
    if settings.TIMELINE_FANOUT_BATCH_DELAY:
        time.sleep(settings.TIMELINE_FANOUT_BATCH_DELAY)
    args = [_cap(), _ttl(), *entry.args()]
    script, pipe = scripts().push, client().pipeline(transaction=False)
    with transaction.atomic():
        if not _lock_source(entry):
            return 0  # deleted or undone since: its removal has run or waits for this to end
        # A batch may run long after its followers were listed (a busy queue, a resend): only those
        # who follow the entry's account now get it, and their follow rows stay locked until it is
        # written, so an unfollow committing meanwhile waits, then removes the account's entries.
        user_ids = list(
            Follow.objects.select_for_update(no_key=True)
            .filter(followee_id=entry.retweeter_id or entry.author_id, follower_id__in=list(user_ids))
            .order_by("pk")
            .values_list("follower_id", flat=True)
        )
        for start in range(0, len(user_ids), PUSH_KEYS_PER_CALL):
            keys = [key for user_id in user_ids[start : start + PUSH_KEYS_PER_CALL] for key in home_keys(user_id)]
            script(keys=keys, args=args, client=pipe)
        return sum(pipe.execute()) if user_ids else 0


def _lock_source(entry: Entry) -> bool:
    """Lock the row an entry stands for (the post, or the retweet) until the caller's transaction
    ends; False when it is gone. A write of the entry made under this lock can't be overtaken by the
    removal of a post deleted or a retweet undone meanwhile: that delete waits, and its removal from
    the timelines runs after the write."""
    if entry.retweeter_id:
        rows = Retweet.objects.filter(pk=feed.retweet_id_of(entry.feed_id))
    else:
        rows = Post.objects.filter(pk=entry.post_id)
    return bool(list(rows.select_for_update(no_key=True).values_list("pk", flat=True)))


def _own(entry: Entry, account_id: int) -> None:
    """The account's own home and user timelines, at once (the author sees their post), unless the
    entry is gone since (a change sent again late)."""
    with transaction.atomic():
        if _lock_source(entry):
            _pipeline_add([(home_keys(account_id), [entry]), (user_keys(account_id), [entry])])


def follower_ids(account_ids: Iterable[int]) -> list[int]:
    return sorted(set(Follow.objects.filter(followee_id__in=list(account_ids)).values_list("follower_id", flat=True)))


def batches(ids: list[int]) -> list[list[int]]:
    size = max(1, settings.TIMELINE_FANOUT_BATCH)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def fanout(entry: Entry, *, source_id: int) -> int:
    """Split the fan-out of ``source_id``'s new entry into batch tasks; returns how many.
    A celebrity's entry is not fanned out (its followers merge its user timeline at read time)."""
    from .tasks import timeline_drop_task, timeline_push_task

    followers_count = Profile.objects.filter(pk=source_id).values_list("followers_count", flat=True).first() or 0
    conn = client()
    # The set holds the accounts whose last entry was not fanned out; crossing the threshold either
    # way, the followers' timelines (built the other way) are dropped and rebuilt on read.
    if is_celebrity(followers_count):
        if conn.sadd(CELEBRITIES_KEY, source_id):
            # Newly a celebrity: its followers' timelines do not merge it in yet.
            for batch in batches(follower_ids([source_id])):
                enqueue_on_commit(timeline_drop_task, user_ids=batch)
        return 0
    if conn.srem(CELEBRITIES_KEY, source_id):
        # No longer one: its followers' timelines merge it in at read time, and lack its entries.
        for batch in batches(follower_ids([source_id])):
            enqueue_on_commit(timeline_drop_task, user_ids=batch)
        return 0
    parts = batches(follower_ids([source_id]))
    for batch in parts:
        enqueue_on_commit(timeline_push_task, entry=entry.as_list(), user_ids=batch)
    return len(parts)


def unfanout(*, post_id: int, feed_id: int | None, source_ids: list[int]) -> int:
    """Split the removal of a post (or of one retweet of it) from the followers of ``source_ids``
    into batch tasks; returns how many."""
    from .tasks import timeline_remove_task

    sources = set(source_ids)
    parts = batches([u for u in follower_ids(source_ids) if u not in sources])
    for batch in parts:
        enqueue_on_commit(timeline_remove_task, post_id=post_id, feed_id=feed_id, user_ids=batch)
    return len(parts)


def drop(user_ids: Iterable[int]) -> None:
    pipe = client().pipeline(transaction=False)
    for user_id in user_ids:
        z, m, _ = home_keys(user_id)
        pipe.unlink(z, m)
    pipe.execute()


def replacements(viewer_ids: list[int], post_ids: list[int]) -> dict[int, list[Entry]]:
    """For each viewer, the newest entry of each post among the viewer's sources (the viewer and
    whom they follow), from the database: what their timeline should hold after an entry of the
    post was removed from it."""
    posts = {
        pid: (author, at)
        for pid, author, at in Post.objects.filter(pk__in=post_ids).values_list("id", "author_id", "created_at")
    }
    if not posts:
        return {}
    retweets = list(
        Retweet.objects.filter(post_id__in=list(posts)).values_list("id", "post_id", "user_id", "created_at")
    )
    accounts = {author for author, _ in posts.values()} | {user for _, _, user, _ in retweets}
    follows: dict[int, set[int]] = {viewer: {viewer} for viewer in viewer_ids}
    for follower, followee in Follow.objects.filter(follower_id__in=viewer_ids, followee_id__in=accounts).values_list(
        "follower_id", "followee_id"
    ):
        follows[follower].add(followee)
    result: dict[int, list[Entry]] = {}
    for viewer, sources in follows.items():
        newest: dict[int, Entry] = {}
        candidates = [
            Entry.for_post(post_id=pid, author_id=author, created_at=at)
            for pid, (author, at) in posts.items()
            if author in sources
        ] + [
            Entry.for_retweet(retweet_id=rid, post_id=pid, author_id=posts[pid][0], user_id=user, created_at=at)
            for rid, pid, user, at in retweets
            if user in sources
        ]
        for entry in candidates:
            current = newest.get(entry.post_id)
            if current is None or (entry.score, entry.feed_id) > (current.score, current.feed_id):
                newest[entry.post_id] = entry
        if newest:
            result[viewer] = list(newest.values())
    return result


def remove(post_id: int, user_ids: Iterable[int], *, feed_id: int | None = None) -> int:
    """Remove the post from these users' home timelines (only its entry ``feed_id`` when given,
    then putting back the post's next-newest entry for them). Returns how many held it."""
    if settings.TIMELINE_FANOUT_BATCH_DELAY:
        time.sleep(settings.TIMELINE_FANOUT_BATCH_DELAY)
    user_ids = list(user_ids)
    _stop_builds(home_keys(user_id)[2] for user_id in user_ids)
    script = scripts().remove
    pipe = client().pipeline(transaction=False)
    for user_id in user_ids:
        z, m, _ = home_keys(user_id)
        script(keys=[z, m], args=[post_id, "" if feed_id is None else feed_id], client=pipe)
    removed = [user_id for user_id, done in zip(user_ids, pipe.execute(), strict=True) if done]
    if removed and feed_id is not None:
        back = replacements(removed, [post_id])
        _pipeline_add((home_keys(viewer), entries) for viewer, entries in back.items())
    return len(removed)


def _remove_own(post_id: int, account_ids: Iterable[int], feed_id: int | None) -> None:
    script = scripts().remove
    pipe = client().pipeline(transaction=False)
    account_ids = list(account_ids)
    _stop_builds(marker for account in account_ids for marker in (home_keys(account)[2], user_keys(account)[2]))
    for account in account_ids:
        for z, m, _ in (home_keys(account), user_keys(account)):
            script(keys=[z, m], args=[post_id, "" if feed_id is None else feed_id], client=pipe)
    pipe.execute()
    if feed_id is not None:
        back = replacements(account_ids, [post_id])
        _pipeline_add((home_keys(viewer), entries) for viewer, entries in back.items())


# --- Hooks, called by the services inside their transaction ----------------------------------
# Each change is recorded in the outbox with the write and made right after commit: its own user's
# part at once, the followers' part by tasks. When Redis fails, the recorded change is retried by a
# worker and, if the broker is down too, sent again by the outbox drain once it is back: a change
# made during an outage reaches the timelines after it.


def _hook(op: str, **kwargs) -> None:
    if not enabled():
        return
    from .tasks import timeline_apply_task

    run_on_commit(timeline_apply_task, op=op, **kwargs)


def apply(op: str, **kwargs) -> None:
    from .tasks import timeline_fanout_task, timeline_unfanout_task

    if op == "entry_created":
        entry = Entry.from_list(kwargs["entry"])
        source = kwargs["source_id"]
        _own(entry, source)
        # The fan-out checks again, per batch, that the entry still stands.
        enqueue_on_commit(timeline_fanout_task, entry=entry.as_list(), source_id=source)
    elif op == "entry_removed":
        post_id, feed_id, sources = kwargs["post_id"], kwargs.get("feed_id"), kwargs["source_ids"]
        _remove_own(post_id, sources, feed_id)
        enqueue_on_commit(timeline_unfanout_task, post_id=post_id, feed_id=feed_id, source_ids=sources)
    elif op in ("followed", "unfollowed"):
        # A change sent again later may find the follow undone or redone since: the database says
        # which one the timeline must reflect now.
        follower_id, followee_id = kwargs["follower_id"], kwargs["followee_id"]
        with transaction.atomic():
            # The follow row stays locked while its entries are added (as in ``push``).
            follow = Follow.objects.select_for_update(no_key=True).filter(
                follower_id=follower_id, followee_id=followee_id
            )
            if follow.values_list("pk", flat=True).first() is not None:
                _followed(follower_id, followee_id)
        if not Follow.objects.filter(follower_id=follower_id, followee_id=followee_id).exists():
            _unfollowed(follower_id, followee_id)
    else:  # pragma: no cover - a programming error
        raise ValueError(op)


def post_created(post: Post) -> None:
    entry = Entry.for_post(post_id=post.pk, author_id=post.author_id, created_at=post.created_at)
    _hook("entry_created", entry=entry.as_list(), source_id=post.author_id)


def retweet_created(retweet: Retweet, *, author_id: int) -> None:
    entry = Entry.for_retweet(
        retweet_id=retweet.pk,
        post_id=retweet.post_id,
        author_id=author_id,
        user_id=retweet.user_id,
        created_at=retweet.created_at,
    )
    _hook("entry_created", entry=entry.as_list(), source_id=retweet.user_id)


def post_deleted(*, post_id: int, author_id: int, retweeter_ids: list[int]) -> None:
    _hook("entry_removed", post_id=post_id, feed_id=None, source_ids=sorted({author_id, *retweeter_ids}))


def retweet_deleted(*, post_id: int, retweet_id: int, user_id: int) -> None:
    _hook("entry_removed", post_id=post_id, feed_id=feed.retweet_feed_id(retweet_id), source_ids=[user_id])


def followed(*, follower_id: int, followee_id: int) -> None:
    _hook("followed", follower_id=follower_id, followee_id=followee_id)


def unfollowed(*, follower_id: int, followee_id: int) -> None:
    _hook("unfollowed", follower_id=follower_id, followee_id=followee_id)


def _recent_entries(account_id: int) -> list[Entry]:
    """The account's newest own entries: from its user timeline when built, else the database."""
    z, m, _ = user_keys(account_id)
    conn = client()
    if conn.hexists(m, "_b"):
        rows = conn.zrevrange(z, 0, _cap() - 1, withscores=True)
        values = conn.hmget(m, [post for post, _ in rows]) if rows else []
        entries = []
        for (post, score), value in zip(rows, values, strict=True):
            if value:
                feed_id, author, retweeter = (int(x) for x in value.split(b":"))
                entries.append(Entry(int(post), int(score), feed_id, author, retweeter))
        return entries
    return _entries_with_authors(feed._compute_page([account_id], None, _cap()).entries)


def _followed(follower_id: int, followee_id: int) -> None:
    z, m, b = home_keys(follower_id)
    conn = client()
    if not (conn.hexists(m, "_b") or conn.exists(b)):
        return  # no timeline: built from the database on the next read
    count = Profile.objects.filter(pk=followee_id).values_list("followers_count", flat=True).first() or 0
    if is_celebrity(count):
        scripts().merged(keys=[m], args=["add", followee_id])
        return
    _pipeline_add([((z, m, b), _recent_entries(followee_id))])


def _unfollowed(follower_id: int, followee_id: int) -> None:
    z, m, b = home_keys(follower_id)
    _stop_builds([b])
    scripts().merged(keys=[m], args=["del", followee_id])
    gone = [int(p) for p in scripts().remove_source(keys=[z, m], args=[followee_id])]
    if gone:
        back = replacements([follower_id], gone)
        _pipeline_add((home_keys(viewer), entries) for viewer, entries in back.items())
