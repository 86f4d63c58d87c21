"""The Redis home timelines on a real Redis Cluster (``TIMELINES_REDIS_URL=redis+cluster://...``):
fan-out, follows and unfollows, deletes, celebrities merged at read time across hash slots, pages and
cursors identical to the other stores, and a master failing over. Run against the cluster that
``.ci/redis-cluster start`` starts, named by ``TEST_REDIS_CLUSTER_URL``: skipped without it, except
in CI (``CI=true``), where its absence fails the tests."""

import os
import shutil
import signal
import subprocess
import time

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured

from posts.feed import timelines
from posts.tests.factories import PostFactory
from tests.support import (
    clear_cache,
    redis_cluster_unavailable_reason,
    redis_cluster_url,
    redis_unavailable_reason,
    skip_unless_available,
    wait_for,
)
from users.tests.factories import UserFactory

pytestmark = pytest.mark.cluster

FEED = "/api/posts/feed/"


@pytest.fixture
def cluster(settings, transactional_db):
    """The timelines on the cluster, emptied before and after the test."""
    skip_unless_available(redis_cluster_unavailable_reason(), "a Redis Cluster for the timeline tests")
    settings.TIMELINES_REDIS_URL = redis_cluster_url()
    settings.FEED_BACKEND = "redis"
    timelines.clear_all()
    clear_cache()
    yield timelines.client()
    timelines.clear_all()


@pytest.fixture
def redis_served(monkeypatch) -> list[bool]:
    """Whether each feed read was answered by the timelines (True) or by the database (False: the
    timelines could not answer, or failed)."""
    served, read_page = [], timelines.read_page

    def spy(**kwargs):
        page = None
        try:
            page = read_page(**kwargs)
        finally:
            served.append(page is not None)
        return page

    monkeypatch.setattr(timelines, "read_page", spy)
    return served


def ids(client, **params) -> list[tuple[int, int | None]]:
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return [(i["id"], i["retweeted_by"]["id"] if i["retweeted_by"] else None) for i in response.json()["results"]]


def pages(client, page_size: int) -> list[tuple[list[tuple[int, int | None]], str | None, str | None]]:
    """Every page of the feed: its entries and its next and previous links."""
    seen, response = [], client.get(FEED, {"page_size": page_size}).json()
    while True:
        entries = [(i["id"], i["retweeted_by"]["id"] if i["retweeted_by"] else None) for i in response["results"]]
        seen.append((entries, response["next"], response["previous"]))
        if not response["next"]:
            return seen
        response = client.get(response["next"]).json()


def in_timeline(user_id: int) -> list[int]:
    return [int(member) for member in timelines.client().zrevrange(timelines.home_keys(user_id)[0], 0, -1)]


def node_of(user_id: int) -> str:
    return timelines.client().get_node_from_key(timelines.home_keys(user_id)[0]).name


def post(client, content: str) -> int:
    response = client.post("/api/posts/", {"content": content}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


@pytest.mark.parametrize(
    ("url", "nodes", "options"),
    [
        ("redis+cluster://127.0.0.1:7001", [("127.0.0.1", 7001)], {}),
        ("redis+cluster://a:7001,b:7002,[::1]:7003/0", [("a", 7001), ("b", 7002), ("::1", 7003)], {}),
        ("rediss+cluster://u:p%40ss@a:1,b:2", [("a", 1), ("b", 2)], {"ssl": True, "username": "u", "password": "p@ss"}),
        ("redis+cluster://:secret@a:1", [("a", 1)], {"password": "secret"}),
    ],
)
def test_a_cluster_url_names_its_nodes(url, nodes, options):
    found, found_options = timelines.cluster_nodes(url)
    assert [(node.host, node.port) for node in found] == nodes
    assert found_options == options
    assert timelines.is_cluster(url) and not timelines.is_cluster("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize("url", ["redis://a:1/0", "redis+cluster://", "redis+cluster://a", "redis+cluster://a:b,c:2"])
def test_a_bad_cluster_url_is_a_configuration_error(url):
    with pytest.raises(ImproperlyConfigured):
        timelines.cluster_nodes(url)


def test_the_keys_of_a_user_share_a_slot_and_users_spread_over_the_masters(cluster):
    conn = timelines.client()
    for user_id in (1, 2, 12345):
        keys = [*timelines.home_keys(user_id), *timelines.user_keys(user_id)]
        assert len({conn.keyslot(key) for key in keys}) == 1
        assert timelines.slot_of(user_id) == conn.keyslot(keys[0])
    assert len({node_of(user_id) for user_id in range(1, 30)}) == len(conn.get_primaries()) == 3


def test_clearing_the_timelines_empties_every_master(cluster):
    for user_id in range(1, 31):
        cluster.hset(timelines.home_keys(user_id)[1], "_b", "1")
        cluster.set(timelines.user_keys(user_id)[2], "1")
    cluster.set("not-a-timeline", "1")
    assert timelines.clear_all() == 60
    assert list(cluster.scan_iter(match=f"{timelines.PREFIX}*")) == []
    assert cluster.get("not-a-timeline") == b"1"
    cluster.delete("not-a-timeline")


def test_fan_out_follows_and_deletes_on_the_cluster(cluster, client_for, settings):
    settings.TIMELINE_FANOUT_BATCH = 2
    me, a, b = UserFactory(), UserFactory(), UserFactory()
    fans = UserFactory.create_batch(4)
    client = client_for(me)
    for account in (a, b):
        client.post(f"/api/users/{account.id}/follow/")
    for fan in fans:
        client_for(fan).post(f"/api/users/{a.id}/follow/")
    readers = [me, *fans]
    assert len({node_of(user.id) for user in (*readers, a, b)}) > 1  # the timelines are on several masters
    for user in readers:
        assert ids(client_for(user)) == []  # the first read builds the timeline
    cluster.script_flush()  # as on a replica just promoted: the scripts are loaded again when missing
    first = post(client_for(a), "to many timelines")
    for user in readers:
        assert in_timeline(user.id) == [first]
    second = post(client_for(b), "to mine")
    assert ids(client) == [(second, None), (first, None)]
    client_for(b).post(f"/api/posts/{first}/retweet/")
    assert ids(client) == [(first, b.id), (second, None)]
    assert ids(client_for(fans[0])) == [(first, None)]
    # An unfollow takes the account's entries out, a follow puts them back.
    client.post(f"/api/users/{b.id}/unfollow/")
    assert ids(client) == [(first, None)]
    client.post(f"/api/users/{b.id}/follow/")
    assert ids(client) == [(first, b.id), (second, None)]
    # A delete leaves every timeline.
    assert client_for(a).delete(f"/api/posts/{first}/").status_code == 204
    assert ids(client) == [(second, None)]
    for user in readers:
        assert first not in in_timeline(user.id)


def test_celebrities_are_merged_at_read_time_from_their_own_slots(cluster, client_for, settings, redis_served):
    settings.TIMELINE_CELEBRITY_FOLLOWERS = 2
    me, friend, star = UserFactory(), UserFactory(), UserFactory()
    for fan in UserFactory.create_batch(2):
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    client = client_for(me)
    client.post(f"/api/users/{star.id}/follow/")  # 3 followers: a celebrity
    client.post(f"/api/users/{friend.id}/follow/")
    old = PostFactory(author=star)
    assert ids(client) == [(old.id, None)]
    new = post(client_for(star), "to the many")
    mine = post(client_for(friend), "to the few")
    assert in_timeline(me.id) == [mine]  # the star's posts stay out of my timeline...
    merged = [(mine, None), (new, None), (old.id, None)]
    assert ids(client) == merged  # ...and merged in (from the database while the star's timeline is built)
    redis_served.clear()
    assert ids(client) == merged
    # A retweet in my timeline of the star's post wins over the star's own, older entry.
    client_for(friend).post(f"/api/posts/{old.id}/retweet/")
    assert ids(client) == [(old.id, friend.id), (mine, None), (new, None)]
    assert [entry for page, _, _ in pages(client, 1) for entry in page] == [
        (old.id, friend.id),
        (mine, None),
        (new, None),
    ]
    assert redis_served and all(redis_served)
    client.post(f"/api/users/{star.id}/unfollow/")
    assert ids(client) == [(old.id, friend.id), (mine, None)]


def test_pages_and_cursors_are_those_of_the_other_stores(cluster, client_for, settings, redis_served):
    settings.TIMELINE_CELEBRITY_FOLLOWERS = 2
    settings.TIMELINE_MAX_ENTRIES = 6  # the older pages come from the database, below the horizon
    me, friend, star = UserFactory(), UserFactory(), UserFactory()
    for fan in UserFactory.create_batch(2):
        client_for(fan).post(f"/api/users/{star.id}/follow/")
    client = client_for(me)
    for account in (friend, star):
        client.post(f"/api/users/{account.id}/follow/")
    assert ids(client) == []
    posted = []
    for i in range(6):
        posted.append(post(client_for(friend), f"friend {i}"))
        posted.append(post(client_for(star), f"star {i}"))
    client_for(friend).post(f"/api/posts/{posted[3]}/retweet/")  # the star's second post, retweeted
    client_for(star).post(f"/api/posts/{posted[0]}/retweet/")

    def every_page(size: int):
        clear_cache()
        ids(client)  # builds the timeline when missing
        return pages(client, size)

    on_cluster = {size: every_page(size) for size in (1, 3, 5)}
    assert redis_served and any(redis_served)
    entries = [entry for page, _, _ in on_cluster[3] for entry in page]
    assert len(entries) == len(posted) and len({post_id for post_id, _ in entries}) == len(posted)
    assert entries[:2] == [(posted[0], star.id), (posted[3], friend.id)]
    settings.FEED_BACKEND = "db"
    assert {size: every_page(size) for size in on_cluster} == on_cluster
    if redis_unavailable_reason() is None:  # and one Redis server (REDIS_URL), when there is one
        settings.FEED_BACKEND, settings.TIMELINES_REDIS_URL = "redis", ""
        timelines.clear_all()
        assert {size: every_page(size) for size in on_cluster} == on_cluster
        timelines.clear_all()


def _replica_of(master: redis.Redis) -> redis.Redis:
    replica = master.info("replication")["slave0"]
    return redis.Redis(host=replica["ip"], port=replica["port"], socket_connect_timeout=1)


def _promoted(replica: redis.Redis) -> bool:
    try:
        return replica.info("replication")["role"] == "master" and replica.cluster("info")["cluster_state"] == "ok"
    except redis.RedisError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _synced(node: redis.Redis) -> bool:
    try:
        return node.info("replication").get("master_link_status") == "up"
    except redis.RedisError:
        return False


@pytest.mark.slow
def test_a_master_failing_over_loses_no_timeline(cluster, client_for, redis_served):
    me, friend = UserFactory(), UserFactory()
    client = client_for(me)
    client.post(f"/api/users/{friend.id}/follow/")
    assert ids(client) == []
    posted = [post(client_for(friend), f"before {i}") for i in range(3)]
    expected = [(post_id, None) for post_id in posted[::-1]]
    assert ids(client) == expected and in_timeline(me.id) == posted[::-1]
    node = timelines.client().get_node_from_key(timelines.home_keys(me.id)[0])
    master = redis.Redis(host=node.host, port=node.port, socket_connect_timeout=1)
    replica = _replica_of(master)
    server = master.info("server")
    assert server["config_file"], "the cluster's nodes are started from their redis.conf"
    executable = server["executable"] if os.path.exists(server["executable"]) else shutil.which("redis-server")
    restart = [executable, server["config_file"]]
    master.wait(1, 2000)  # what it holds has reached its replica
    os.kill(server["process_id"], signal.SIGKILL)  # the master crashes
    wait_for(lambda: not _alive(server["process_id"]), timeout=10)
    try:
        # Until the replica takes over, the feed comes from the database, without an error.
        started = time.monotonic()
        redis_served.clear()
        assert ids(client) == expected
        assert redis_served == [False] and time.monotonic() - started < 5
        wait_for(lambda: _promoted(replica), timeout=60, interval=0.2)
        # Then from the promoted replica's copy (or rebuilt from the database, when lost).
        wait_for(lambda: ids(client) == expected and redis_served[-1], timeout=10, interval=0.2)
        later = post(client_for(friend), "after the failover")
        assert in_timeline(me.id)[0] == later
        # A timeline lost altogether (writes that had not reached the replica) is rebuilt.
        timelines.client().unlink(*timelines.home_keys(me.id))
        wait_for(lambda: ids(client) == [(later, None), *expected] and redis_served[-1], timeout=10, interval=0.2)
    finally:
        # The old master comes back as a replica of the new one: the cluster is whole again.
        subprocess.run(restart, check=True, capture_output=True)
        wait_for(lambda: _synced(master), timeout=60, interval=0.2)
