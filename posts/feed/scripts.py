"""The Lua scripts that read and change the Redis home timelines (:mod:`posts.feed.timelines`),
each in one atomic step, so a timeline's sorted set and hash stay consistent and capped.

A timeline is a sorted set of post ids scored by entry time (µs) and a hash from post id to
``"<feed_id>:<author id>:<retweeter id or 0>"`` plus its state (``_b`` built, ``_k`` accounts
merged in at read time, ``_h`` horizon). Every call's keys are one user's (one hash slot on a Redis
Cluster): ``PUSH_LUA`` takes several users' timelines only when they share a slot.
"""

import redis
from redis.cluster import RedisCluster

LUA_COMMON = """
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
    LUA_COMMON
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

# Fan-out: one entry into many timelines (on a cluster, of users whose keys share a slot).
# KEYS: (zset, hash, building marker) per user. ARGV: cap,
# ttl, post, score, value. Returns how many timelines took it.
PUSH_LUA = (
    LUA_COMMON
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
    LUA_COMMON
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
    LUA_COMMON
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

# One timeline's part of a page (home or user timeline; the reader merges them, see
# ``timelines.merge``). KEYS: zset, hash. ARGV: cursor score ('+inf' without a cursor), entries
# wanted, ttl. Returns {'cold'} when the timeline is not built, else {'ok', horizon ('' for none),
# merged accounts ('_k'), full ('1' when the range read was cut at the limit), post, score, value
# ('' when missing), ...}: the newest entries at or below the cursor's score, those at exactly that
# score on top of the number wanted. Reading keeps the timeline from expiring.
READ_LUA = """
local z, m = KEYS[1], KEYS[2]
local maxs, ttl = ARGV[1], ARGV[3]
if redis.call('HEXISTS', m, '_b') == 0 then return {'cold'} end
local lim = tonumber(ARGV[2])
if maxs ~= '+inf' then lim = lim + redis.call('ZCOUNT', z, maxs, maxs) end
local rows = redis.call('ZREVRANGEBYSCORE', z, maxs, '-inf', 'WITHSCORES', 'LIMIT', 0, lim)
local res = {'ok', redis.call('HGET', m, '_h') or '', redis.call('HGET', m, '_k') or '', '0'}
if #rows >= 2 * lim then res[4] = '1' end
for j = 1, #rows, 2 do
  res[#res + 1] = rows[j]
  res[#res + 1] = rows[j + 1]
  res[#res + 1] = redis.call('HGET', m, rows[j]) or ''
end
redis.call('EXPIRE', m, ttl)
redis.call('EXPIRE', z, ttl)
return res
"""


class Scripts:
    def __init__(self, client: redis.Redis | RedisCluster):
        self.add = client.register_script(ADD_LUA)
        self.push = client.register_script(PUSH_LUA)
        self.load = client.register_script(LOAD_LUA)
        self.remove = client.register_script(REMOVE_LUA)
        self.remove_source = client.register_script(REMOVE_SOURCE_LUA)
        self.merged = client.register_script(MERGED_LUA)
        self.read = client.register_script(READ_LUA)
