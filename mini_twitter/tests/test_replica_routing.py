"""The read replica router's decisions (mini_twitter/db/), with the replicas' health stood in for:
which database serves each read, read-your-writes, a failing or lagging replica, migrations. The
same on a real primary and replica: test_replicas_postgres.py."""

import runpy
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from mini_twitter.db import replicas
from mini_twitter.db.middleware import ReplicaRoutingMiddleware
from mini_twitter.db.router import ReplicaRouter
from users.models import User

REPLICAS = ["replica_0", "replica_1"]
BASE_SETTINGS = Path(__file__).resolve().parents[1] / "settings" / "base.py"


@pytest.fixture
def usable(settings, monkeypatch):
    """The replicas' health as the test sets it: ``{alias: replayed LSN}``."""
    settings.DATABASE_REPLICAS = REPLICAS
    state = dict.fromkeys(REPLICAS, 1000)
    monkeypatch.setattr(replicas.health, "usable", lambda: state)
    return state


@pytest.fixture
def recorded(monkeypatch):
    calls = []
    monkeypatch.setattr(replicas, "record_write", lambda request, response: calls.append(request))
    return calls


def in_request(request, body):
    """Run ``body()`` as the view of ``request`` behind the middleware; returns what it returned."""
    results = []

    def view(request):
        results.append(body())
        return HttpResponse(status=201 if request.method == "POST" else 200)

    ReplicaRoutingMiddleware(view)(request)
    return results[-1]


def read(request=None):
    return in_request(request or RequestFactory().get("/api/posts/"), lambda: ReplicaRouter().db_for_read(User))


def test_without_replicas_there_is_no_router_and_requests_are_not_routed(settings):
    assert settings.DATABASE_REPLICAS == []
    assert settings.DATABASE_ROUTERS == []
    assert in_request(RequestFactory().get("/api/posts/"), replicas.current_routing) is None


def test_reads_of_a_request_go_to_the_replicas_in_turn(usable):
    assert {read() for _ in range(4)} == set(REPLICAS)


def test_one_request_reads_from_one_replica(usable):
    router = ReplicaRouter()
    aliases = in_request(RequestFactory().get("/"), lambda: {router.db_for_read(User) for _ in range(5)})
    assert len(aliases) == 1 and aliases <= set(REPLICAS)


def test_reads_outside_requests_go_to_the_primary(usable):
    # Celery tasks, management commands, sockets: what they read must be there.
    assert ReplicaRouter().db_for_read(User) == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_go_to_the_primary(usable):
    with transaction.atomic():
        assert read() == "default"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_requests_that_write_read_from_the_primary(usable, recorded, method):
    assert read(getattr(RequestFactory(), method)("/api/posts/1/")) == "default"


def test_the_admin_reads_from_the_primary(usable):
    assert read(RequestFactory().get("/admin/users/user/")) == "default"
    assert read(RequestFactory().get("/api/users/")) in REPLICAS


def test_writes_go_to_the_primary_and_the_rest_of_the_request_too(usable, recorded):
    router = ReplicaRouter()
    request = RequestFactory().get("/api/posts/feed/")
    before, write, after = in_request(
        request, lambda: (router.db_for_read(User), router.db_for_write(User), router.db_for_read(User))
    )
    assert before in REPLICAS
    assert (write, after) == ("default", "default")
    assert recorded == [request]


def test_a_request_that_wrote_nothing_records_nothing(usable, recorded):
    read()
    in_request(RequestFactory().post("/api/posts/"), lambda: None)  # answered 201: maybe a raw write
    assert len(recorded) == 1

    def refused(request):
        return HttpResponse(status=400)

    ReplicaRoutingMiddleware(refused)(RequestFactory().post("/api/posts/"))
    assert len(recorded) == 1


def test_no_usable_replica_means_the_primary(usable):
    usable.clear()
    assert read() == "default"


def user_request(user_id: int | None = None, lazy: bool = False, session: str | None = None):
    request = RequestFactory().get("/api/posts/feed/")
    if session:
        request.COOKIES["sessionid"] = session
    if lazy:
        request.user = SimpleLazyObject(AnonymousUser)  # not evaluated: the user is not known yet
    elif user_id is not None:
        request.user = User(pk=user_id)
    return request


def test_a_client_that_wrote_reads_from_a_replica_that_has_replayed_its_write(usable):
    usable.update(replica_0=50, replica_1=150)
    cache.set(replicas.written_key("user:7"), 100)
    assert {read(user_request(7)) for _ in range(4)} == {"replica_1"}
    # Other clients still use both.
    assert {read(user_request(8)) for _ in range(4)} == set(REPLICAS)


def test_a_client_that_wrote_reads_from_the_primary_until_a_replica_has_replayed_it(usable):
    usable.update(replica_0=50, replica_1=99)
    cache.set(replicas.written_key("user:7"), 100)
    assert read(user_request(7)) == "default"


def test_the_client_is_known_once_authenticated(usable):
    usable.update(replica_0=50, replica_1=50)
    cache.set(replicas.written_key("user:7"), 100)
    router = ReplicaRouter()
    request = user_request(lazy=True)

    def view():
        before = router.db_for_read(User)  # the authentication's own lookup
        request.user = User(pk=7)  # what DRF does once it has authenticated
        return before, router.db_for_read(User)

    before, after = in_request(request, view)
    assert before in REPLICAS
    assert after == "default"


def test_a_session_is_a_client_too(usable):
    usable.update(replica_0=50, replica_1=50)
    cache.set(replicas.written_key("session:abc"), 100)
    assert read(user_request(session="abc")) == "default"
    assert read(user_request(session="other")) in REPLICAS


def test_writes_are_recorded_for_the_user_and_the_session():
    request = user_request(7, session="abc")
    response = HttpResponse()
    response.set_cookie("sessionid", "new")
    assert sorted(replicas.written_clients(request, response)) == ["session:abc", "session:new", "user:7"]
    assert replicas.written_clients(RequestFactory().get("/"), HttpResponse()) == []


def test_a_replica_failing_during_a_read_request_has_it_answered_again_by_the_primary(usable, recorded):
    router = ReplicaRouter()
    seen = []

    def view(request):
        alias = router.db_for_read(User)
        seen.append(alias)
        if alias != "default":
            replicas.replica_failed(alias)  # what its backend does when it can't connect or answer
            return HttpResponse(status=503)
        return HttpResponse(status=200)

    response = ReplicaRoutingMiddleware(view)(RequestFactory().get("/api/posts/"))
    assert response.status_code == 200
    assert seen[0] in REPLICAS and seen[1:] == ["default"]
    assert recorded == []


def refusing_view(router, seen):
    """A view refusing a client its replica does not know (an account newer than the replica)."""

    def view(request):
        alias = router.db_for_read(User)
        seen.append(alias)
        return HttpResponse(status=401 if alias != "default" else 200)

    return view


def test_a_client_refused_on_a_replica_is_answered_again_by_the_primary(usable):
    seen = []
    response = ReplicaRoutingMiddleware(refusing_view(ReplicaRouter(), seen))(RequestFactory().get("/api/users/me/"))
    assert response.status_code == 200
    assert seen[0] in REPLICAS and seen[1:] == ["default"]


def test_a_refusal_without_reading_a_replica_is_final(usable):
    calls = []

    def view(request):
        calls.append(request)
        return HttpResponse(status=401)  # an expired token: refused before any query

    assert ReplicaRoutingMiddleware(view)(RequestFactory().get("/api/users/me/")).status_code == 401
    assert len(calls) == 1


def test_a_failed_replica_is_left_out_until_checked_again(settings, monkeypatch):
    settings.DATABASE_REPLICAS = REPLICAS
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    health = replicas.ReplicaHealth()
    monkeypatch.setattr(health, "_check", lambda: {"replica_0": 10, "replica_1": 10})
    assert health.usable() == {"replica_0": 10, "replica_1": 10}
    health.mark_down("replica_0")
    assert health.usable() == {"replica_1": 10}


def check_with(monkeypatch, settings, rows: dict):
    """ReplicaHealth's verdict when its queries answer ``rows`` (alias → row, None: unreachable)."""
    settings.DATABASE_REPLICAS = [alias for alias in rows if alias != "default"]
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    health = replicas.ReplicaHealth()
    asked = []

    def query(alias, sql):
        asked.append(alias)
        return rows[alias]

    monkeypatch.setattr(health, "_query", query)
    return health, asked


def test_replicas_caught_up_or_lagging_within_the_limit_are_usable(monkeypatch, settings):
    health, _ = check_with(
        monkeypatch,
        settings,
        {
            "default": ("0/200",),
            "replica_0": (True, "0/200", 3600.0),  # idle primary: old last commit, nothing to replay
            "replica_1": (True, "0/100", 1.0),
            "replica_2": (True, "0/100", 30.0),  # lagging
            "replica_3": (False, "0/200", None),  # promoted
            "replica_4": None,  # unreachable
            "replica_5": (True, None, None),  # not replaying WAL
        },
    )
    assert health.usable() == {"replica_0": 0x200, "replica_1": 0x100}


def test_an_unreachable_replica_is_not_asked_again_at_once(monkeypatch, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0
    health, asked = check_with(monkeypatch, settings, {"default": ("0/1",), "replica_0": None})
    assert health.usable() == {}
    assert health.usable() == {}
    assert asked == ["default", "replica_0", "default"]


def test_the_health_is_checked_once_per_interval(monkeypatch, settings):
    settings.DATABASE_REPLICA_CHECK_SECONDS = 60
    health, asked = check_with(monkeypatch, settings, {"default": ("0/1",), "replica_0": (True, "0/1", 0.0)})
    for _ in range(5):
        assert health.usable() == {"replica_0": 1}
    assert asked == ["default", "replica_0"]


def test_lsns_order_as_the_wal_does():
    assert replicas.lsn_to_int("0/FFFFFFFF") < replicas.lsn_to_int("1/0") < replicas.lsn_to_int("16/B374D848")


def test_a_write_pins_its_client_for_longer_than_a_usable_replica_may_lag(settings):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 5
    settings.DATABASE_REPLICA_CHECK_SECONDS = 1
    assert replicas.written_seconds() >= 7


def test_migrations_run_on_the_primary_only(settings):
    settings.DATABASE_REPLICAS = REPLICAS
    router = ReplicaRouter()
    assert router.allow_migrate("replica_0", "posts") is False
    assert router.allow_migrate("default", "posts") is None


def test_objects_read_from_a_replica_may_relate_to_the_primarys(settings):
    settings.DATABASE_REPLICAS = REPLICAS
    one, other, elsewhere = User(), User(), User()
    one._state.db, other._state.db, elsewhere._state.db = "replica_0", "default", "archive"
    assert ReplicaRouter().allow_relation(one, other) is True
    assert ReplicaRouter().allow_relation(one, elsewhere) is None


def base_settings(monkeypatch, **env) -> dict:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_SETTINGS))


def test_replica_urls_become_replica_aliases_of_the_primary(monkeypatch):
    config = base_settings(
        monkeypatch,
        DATABASE_URL="postgres://app@db:5432/mt",
        DATABASE_REPLICA_URLS="postgres://app@replica-a:5432/mt, postgres://app@replica-b:6432/mt",
        DATABASE_REPLICA_MAX_LAG_SECONDS="2.5",
    )
    assert config["DATABASE_REPLICAS"] == ["replica_0", "replica_1"]
    assert config["DATABASE_ROUTERS"] == ["mini_twitter.db.router.ReplicaRouter"]
    assert config["DATABASE_REPLICA_MAX_LAG_SECONDS"] == 2.5
    replica = config["DATABASES"]["replica_1"]
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("replica-b", 6432, "mt")
    assert replica["ENGINE"] == "mini_twitter.db.backends.postgresql_replica"
    assert replica["TEST"] == {"MIRROR": "default"}
    assert replica["OPTIONS"]["pool"] == config["DATABASES"]["default"]["OPTIONS"]["pool"]
    assert replica["OPTIONS"]["pool"] is not config["DATABASES"]["default"]["OPTIONS"]["pool"]


def test_replicas_need_a_postgresql_primary(monkeypatch):
    with pytest.raises(ImproperlyConfigured):
        base_settings(monkeypatch, DATABASE_URL="sqlite:///x.db", DATABASE_REPLICA_URLS="postgres://replica/mt")
    with pytest.raises(ImproperlyConfigured):
        base_settings(monkeypatch, DATABASE_URL="postgres://db/mt", DATABASE_REPLICA_URLS="sqlite:///x.db")
