"""The API on a PostgreSQL primary and its streaming replica (``DATABASE_REPLICA_URLS``): which
database serves each read, read-your-writes, a replica stopped or lagging. Run by
test_replicas_postgres.py in a process of its own, whose settings name the pair (.ci/pg-replica)."""

import subprocess
import time
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connections, router
from django.test.utils import CaptureQueriesContext

from mini_twitter.db import replicas
from posts.tests.factories import PostFactory
from tests.support import wait_for
from users.tests.factories import UserFactory

# Committed rows (the replica must replay them), emptied after each test.
pytestmark = [pytest.mark.django_db(transaction=True, databases="__all__"), pytest.mark.replica]

REPLICA = "replica_0"


@pytest.fixture(autouse=True)
def _replica_pair():
    if settings.DATABASE_REPLICAS != [REPLICA]:
        pytest.skip("runs with DATABASE_REPLICA_URLS naming one replica (test_replicas_postgres.py)")
    replicas.health.reset()
    yield
    resume_replay()
    replicas.health.reset()


def replica_control(command: str) -> None:
    subprocess.run([str(settings.BASE_DIR / ".ci" / "pg-replica"), command], check=True, capture_output=True)


def replica_answers() -> bool:
    connections[REPLICA].close()
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            return cursor.fetchone()[0]
    except Exception:  # noqa: BLE001 - still starting
        return False


def lsn(alias: str, function: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {function}()::text")
        return replicas.lsn_to_int(cursor.fetchone()[0])


def wait_replayed() -> None:
    """Until the replica has replayed everything the primary wrote; then checked afresh."""
    target = lsn("default", "pg_current_wal_lsn")
    wait_for(lambda: lsn(REPLICA, "pg_last_wal_replay_lsn") >= target, timeout=10, interval=0.02)
    replicas.health.reset()


def pause_replay() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def resume_replay() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


class Served:
    """The application's queries per database during a block (the routing's own checks left out)."""

    def __init__(self, primary: CaptureQueriesContext, replica: CaptureQueriesContext):
        self._primary, self._replica = primary, replica

    @staticmethod
    def _count(capture: CaptureQueriesContext) -> int:
        return sum("pg_current_wal_lsn" not in query["sql"] for query in capture.captured_queries)

    @property
    def primary(self) -> int:
        return self._count(self._primary)

    @property
    def replica(self) -> int:
        return self._count(self._replica)


@contextmanager
def served():
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        yield Served(primary, replica)


def feed_ids(client) -> list[int]:
    response = client.get("/api/posts/feed/")
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_the_replica_is_a_streaming_standby_of_the_primary():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (False,)
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), current_database()")
        assert cursor.fetchone() == (True, connections["default"].settings_dict["NAME"])


def test_reads_of_a_client_that_wrote_nothing_go_to_the_replica(client_for):
    author, reader = UserFactory(), UserFactory()
    post = PostFactory(author=author, content="from the primary")
    wait_replayed()
    with served() as queries:
        response = client_for(reader).get(f"/api/posts/{post.id}/")
    assert response.status_code == 200
    assert response.json()["content"] == "from the primary"
    assert queries.replica > 0
    assert queries.primary == 0


def test_a_writer_reads_its_writes_from_the_primary_until_the_replica_has_replayed_them(client_for):
    author, reader = UserFactory(), UserFactory()
    wait_replayed()
    pause_replay()
    with served() as queries:
        response = client_for(author).post("/api/posts/", {"content": "just written"})
    assert response.status_code == 201, response.content
    assert queries.replica == 0
    post_id = response.json()["id"]

    with served() as queries:
        response = client_for(author).get(f"/api/posts/{post_id}/")
    assert response.status_code == 200
    assert queries.primary > 0 and queries.replica == 0
    with served() as queries:
        assert post_id in feed_ids(client_for(author))
    assert queries.replica == 0

    # Another reader is served by the replica (still within the allowed lag), which has not
    # replayed the post yet.
    with served() as queries:
        assert client_for(reader).get(f"/api/posts/{post_id}/").status_code == 404
    assert queries.replica > 0 and queries.primary == 0

    resume_replay()
    wait_replayed()
    with served() as queries:
        response = client_for(author).get(f"/api/posts/{post_id}/")
    assert response.status_code == 200
    assert queries.replica > 0 and queries.primary == 0


def test_an_account_just_registered_is_known_at_once(api_client):
    wait_replayed()
    pause_replay()
    credentials = {"username": "newcomer", "password": "A-long-enough-passw0rd"}
    registered = api_client.post("/api/users/", {**credentials, "email": "newcomer@example.com"})
    assert registered.status_code == 201, registered.content
    token = api_client.post("/api/users/token/", credentials)
    assert token.status_code == 200, token.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
    with served() as queries:
        me = api_client.get("/api/users/me/")
    assert me.status_code == 200, me.content
    assert me.json()["username"] == "newcomer"
    assert queries.replica > 0  # tried first, then the primary answered
    assert queries.primary > 0


def test_follow_post_delete_and_unfollow_through_the_replica(client_for):
    reader, author = UserFactory(), UserFactory()
    wait_replayed()
    follow = client_for(reader).post(f"/api/users/{author.id}/follow/")
    assert follow.status_code == 201, follow.content
    created = client_for(author).post("/api/posts/", {"content": "hello followers"})
    assert created.status_code == 201
    post_id = created.json()["id"]

    wait_replayed()
    with served() as queries:
        assert feed_ids(client_for(reader)) == [post_id]
        following = client_for(reader).get(f"/api/users/{reader.id}/following/")
    assert [user["id"] for user in following.json()["results"]] == [author.id]
    assert queries.replica > 0 and queries.primary == 0

    assert client_for(author).delete(f"/api/posts/{post_id}/").status_code == 204
    with served() as queries:
        assert client_for(author).get(f"/api/posts/{post_id}/").status_code == 404
    assert queries.replica == 0  # the author's own delete is seen at once

    assert client_for(reader).post(f"/api/users/{author.id}/unfollow/").status_code == 200
    with served() as queries:
        assert client_for(reader).get(f"/api/users/{reader.id}/following/").json()["results"] == []
    assert queries.replica == 0

    wait_replayed()
    PostFactory(author=author)  # not followed any more: stays out of the feed
    wait_replayed()
    with served() as queries:
        assert feed_ids(client_for(reader)) == []
    assert queries.replica > 0 and queries.primary == 0


def test_a_replica_stopped_mid_test_leaves_reads_to_the_primary_without_errors(client_for):
    reader = UserFactory()
    post = PostFactory(content="still here")
    wait_replayed()
    client = client_for(reader)
    with served() as queries:
        assert client.get(f"/api/posts/{post.id}/").status_code == 200
    assert queries.replica > 0  # the replica has a live connection now

    replica_control("replica-stop")
    try:
        for _ in range(3):
            response = client.get(f"/api/posts/{post.id}/")
            assert response.status_code == 200, response.content
            assert response.json()["content"] == "still here"
        with served() as queries:
            assert client.get(f"/api/posts/{post.id}/").status_code == 200
        assert queries.primary > 0 and queries.replica == 0
    finally:
        replica_control("replica-start")
    wait_for(replica_answers, timeout=30)
    wait_replayed()
    with served() as queries:
        assert client.get(f"/api/posts/{post.id}/").status_code == 200
    assert queries.replica > 0 and queries.primary == 0


def test_a_replica_lagging_beyond_the_limit_is_left_out(client_for, settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0.3
    reader = UserFactory()
    post = PostFactory()
    wait_replayed()
    pause_replay()
    PostFactory()  # a write the replica does not replay
    time.sleep(settings.DATABASE_REPLICA_MAX_LAG_SECONDS + 0.2)
    replicas.health.reset()
    with served() as queries:
        assert client_for(reader).get(f"/api/posts/{post.id}/").status_code == 200
    assert queries.primary > 0 and queries.replica == 0

    resume_replay()
    wait_replayed()
    with served() as queries:
        assert client_for(reader).get(f"/api/posts/{post.id}/").status_code == 200
    assert queries.replica > 0 and queries.primary == 0


def test_the_admin_reads_from_the_primary(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    wait_replayed()
    client.force_login(admin)
    wait_replayed()
    with served() as queries:
        response = client.get("/admin/users/user/")
    assert response.status_code == 200
    assert queries.primary > 0 and queries.replica == 0


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(REPLICA, "posts") is False
    assert router.allow_migrate("default", "posts") is True
    # The replica has the primary's schema by replaying it.
    tables = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"
    with connections["default"].cursor() as cursor:
        cursor.execute(tables)
        on_primary = cursor.fetchone()[0]
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(tables)
        assert cursor.fetchone()[0] == on_primary
    assert "posts_post" in on_primary.split(",")
