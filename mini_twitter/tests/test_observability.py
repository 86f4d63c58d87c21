"""Operations: Prometheus metrics (and who may read them), request ids in responses and JSON log
lines (also of Celery tasks), and Sentry, on only with a DSN."""

import gzip
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from mini_twitter.celery import app as celery_app
from mini_twitter.observability import celery_signals
from mini_twitter.observability.context import get_request_id, request_id_var
from mini_twitter.observability.logs import JsonFormatter, RequestIdFilter
from mini_twitter.observability.metrics import inserted_rows
from notifications.models import Notification
from posts.tasks import notify_post_task
from tests.support import free_port, running_server, wait_for
from users.tests.factories import PASSWORD, UserFactory

ROOT = Path(settings.BASE_DIR)


@celery_app.task(name="mini_twitter.tests.log_something")
def log_something_task() -> None:
    logging.getLogger("mini_twitter.tests").info("inside the task")


@celery_app.task(name="mini_twitter.tests.fail")
def fail_task() -> None:
    raise RuntimeError("this task fails on purpose")


@celery_app.task(bind=True, name="mini_twitter.tests.retry_once", max_retries=1)
def retry_once_task(self) -> None:
    if self.request.retries == 0:
        raise self.retry(countdown=0)


class Samples:
    """The samples of one scrape, summed over the labels not asked for."""

    def __init__(self, text: str):
        self.text = text
        self.samples = [sample for family in text_string_to_metric_families(text) for sample in family.samples]

    def names(self) -> set[str]:
        return {sample.name for sample in self.samples}

    def value(self, name: str, **labels) -> float:
        return sum(
            sample.value
            for sample in self.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )


def scrape(client, **extra) -> Samples:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return Samples(response.content.decode())


@pytest.fixture
def json_log():
    """Log records of every logger, formatted as in production (the request id filter and the
    JSON formatter); calling the fixture gives the parsed lines so far."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


# --- Metrics ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_move_when_posts_are_created_feeds_read_and_tasks_run(client_for, django_capture_on_commit_callbacks):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    api = client_for(bob)
    before = scrape(api)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/posts/", {"content": "hello @alice"}, format="json")
    assert response.status_code == 201
    assert api.get("/api/posts/feed/").status_code == 200  # computed: a miss
    assert api.get("/api/posts/feed/").status_code == 200  # the same page again: a hit
    after = scrape(api)

    def moved(name, **labels):
        return after.value(name, **labels) - before.value(name, **labels)

    assert moved("mini_twitter_posts_created_total") == 1
    assert moved("mini_twitter_feed_requests_total", cache="miss") == 1
    assert moved("mini_twitter_feed_requests_total", cache="hit") == 1
    assert moved("mini_twitter_notifications_created_total", type="mention") == 1
    task = "notifications.notify_post"
    assert moved("mini_twitter_celery_tasks_total", task=task, state="success") == 1
    assert moved("mini_twitter_celery_task_duration_seconds_count", task=task) == 1
    assert moved("mini_twitter_celery_task_duration_seconds_sum", task=task) > 0
    # django-prometheus: requests by view and status, latencies, database and cache operations.
    assert moved("django_http_requests_total_by_view_transport_method_total", view="post-list", method="POST") == 1
    assert moved("django_http_responses_total_by_status_view_method_total", view="post-list", status="201") == 1
    assert moved("django_http_requests_latency_seconds_by_view_method_count", view="post-feed", method="GET") == 2
    assert moved("django_db_execute_total") > 0
    assert moved("django_db_query_duration_seconds_count") > 0
    assert moved("django_cache_get_total") > 0
    assert moved("django_cache_get_hits_total") > 0
    assert moved("mini_twitter_cache_operations_total", operation="get_many") > 0

    # The task again: it runs (and is counted), but inserts nothing, and no notification is counted.
    with django_capture_on_commit_callbacks(execute=True):
        notify_post_task.delay(post_id=response.json()["id"], mentioned_ids=[alice.id])
    again = scrape(api)
    assert (
        again.value("mini_twitter_celery_tasks_total", task=task, state="success")
        == after.value("mini_twitter_celery_tasks_total", task=task, state="success") + 1
    )
    assert again.value("mini_twitter_notifications_created_total") == after.value(
        "mini_twitter_notifications_created_total"
    )
    assert Notification.objects.count() == 1


@pytest.mark.django_db
def test_inserted_rows_counts_what_the_database_inserted_not_what_it_skipped(user, other_user):
    def rows():
        return [Notification(recipient=user, actor=other_user, type="follow", dedupe_key=f"follow:{other_user.pk}")]

    with inserted_rows() as first:
        Notification.objects.bulk_create(rows(), ignore_conflicts=True)
    with inserted_rows() as second:
        Notification.objects.bulk_create(rows(), ignore_conflicts=True)
    assert (first.count, second.count) == (1, 0)


def test_failed_tasks_are_counted_by_outcome(client):
    before = scrape(client)
    result = fail_task.delay()
    assert result.state == "FAILURE"
    after = scrape(client)
    labels = {"task": "mini_twitter.tests.fail"}
    assert after.value("mini_twitter_celery_tasks_total", state="failure", **labels) == (
        before.value("mini_twitter_celery_tasks_total", state="failure", **labels) + 1
    )
    assert after.value("mini_twitter_celery_task_duration_seconds_count", **labels) == (
        before.value("mini_twitter_celery_task_duration_seconds_count", **labels) + 1
    )


def test_retried_tasks_are_counted_by_outcome(client):
    before = scrape(client)
    retry_once_task.delay()
    after = scrape(client)
    labels = {"task": "mini_twitter.tests.retry_once"}
    for state in ("retry", "success"):
        assert after.value("mini_twitter_celery_tasks_total", state=state, **labels) == (
            before.value("mini_twitter_celery_tasks_total", state=state, **labels) + 1
        ), state


def test_metrics_are_open_to_loopback_and_private_addresses_by_default(client):
    assert client.get("/metrics").status_code == 200  # the test client's 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="172.18.0.5").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Metrics are not available to this client."}
    assert client.post("/metrics").status_code == 405


def test_metrics_allow_list_and_token(client, settings):
    settings.METRICS_ALLOWED_IPS = ["192.0.2.0/28", "2001:db8::1"]
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.9").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.20").status_code == 403
    assert client.get("/metrics").status_code == 403  # loopback is not in the list any more
    bearer = {"HTTP_AUTHORIZATION": "Bearer s3cret-metrics-token"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", **bearer).status_code == 200
    wrong = {"HTTP_AUTHORIZATION": "Bearer not-the-token"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.7", **wrong).status_code == 403
    settings.METRICS_ALLOWED_IPS = ["none"]
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", **bearer).status_code == 200


def test_metrics_are_not_shadowed_by_the_front_end(client, settings, tmp_path):
    (tmp_path / "index.html").write_text("<html>front end</html>")
    settings.MICROBLOG_FRONTEND_DIR = str(tmp_path)
    assert b"front end" in b"".join(client.get("/login").streaming_content)
    assert "mini_twitter_posts_created_total" in scrape(client).names()


# --- Request ids and JSON logs ----------------------------------------------------------------


def access_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "mini_twitter.access"]


@pytest.mark.django_db
def test_the_request_id_round_trips_into_the_json_access_log_line(auth_client, json_log):
    response = auth_client.get("/api/users/me/", HTTP_X_REQUEST_ID="req-42.abc")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-42.abc"
    [line] = access_lines(json_log())
    assert line["request_id"] == "req-42.abc"
    assert line["user_id"] == auth_client.user.pk
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/users/me/", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["timestamp"]
    assert line["message"].startswith("GET /api/users/me/ 200 ")
    assert get_request_id() is None  # nothing left behind after the request


@pytest.mark.django_db
def test_a_jwt_user_is_logged_and_anonymous_requests_have_no_user(api_client, user, json_log):
    access = api_client.post("/api/users/token/", {"username": user.username, "password": PASSWORD})
    assert access.status_code == 200
    api_client.get("/api/users/me/", HTTP_AUTHORIZATION=f"Bearer {access.json()['access']}")
    api_client.get("/api/users/me/")
    token_line, me_line, anonymous_line = access_lines(json_log())
    assert (token_line["user_id"], token_line["status"]) == (None, 200)
    assert (me_line["user_id"], me_line["status"]) == (user.pk, 200)
    assert (anonymous_line["user_id"], anonymous_line["status"]) == (None, 401)
    # Query strings (search terms, tokens) stay out of the log.
    api_client.get("/api/users/?search=secret-term")
    assert access_lines(json_log())[-1]["path"] == "/api/users/"
    assert "secret-term" not in json.dumps(json_log())


@pytest.mark.parametrize(
    "sent",
    [None, "", "x" * 201, "bad\x01id", "caf\u00e9"],
    ids=["missing", "empty", "too-long", "control-character", "non-ascii"],
)
def test_a_missing_or_unusable_request_id_is_replaced_by_a_new_one(client, json_log, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = client.get("/healthz", **headers)
    generated = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    [line] = access_lines(json_log())
    assert line["request_id"] == generated and line["status"] == 200 and line["user_id"] is None


def test_the_longest_accepted_request_id_is_kept(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="y" * 200)["X-Request-ID"] == "y" * 200


def test_ids_differ_between_requests_and_refusals_are_logged_too(client, json_log, settings):
    settings.MAX_REQUEST_BODY_BYTES = 10
    first = client.get("/healthz")["X-Request-ID"]
    refused = client.post("/api/users/", {"username": "x" * 50}, content_type="application/json")
    assert refused.status_code == 413
    assert refused["X-Request-ID"] != first
    assert [line["status"] for line in access_lines(json_log())] == [200, 413]


@pytest.mark.django_db(transaction=True)  # after-commit tasks run inside the request, as in production
def test_an_inline_task_logs_with_the_request_id_of_its_request(api_client, user, json_log):
    response = api_client.post("/api/users/password_reset/", {"email": user.email}, HTTP_X_REQUEST_ID="reset-7")
    assert response.status_code == 202
    lines = json_log()
    [sent] = [line for line in lines if line["logger"] == "users.tasks"]
    assert sent["request_id"] == "reset-7"
    [succeeded] = [line for line in lines if line["message"].startswith("Task users.send_password_reset_email[")]
    assert succeeded["request_id"] == "reset-7"


def test_published_tasks_carry_the_request_id_and_run_with_it(json_log):
    headers = {}
    token = request_id_var.set("publisher-1")
    try:
        celery_signals.add_request_id_header(headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {"request_id": "publisher-1"}

    # As a worker runs it: the id comes from the message headers, for the task's time only.
    log_something_task.apply(headers=headers)
    [line] = [line for line in json_log() if line["message"] == "inside the task"]
    assert line["request_id"] == "publisher-1"
    assert get_request_id() is None

    celery_signals.add_request_id_header(headers=(untouched := {}))
    assert untouched == {}  # no request, no header


# --- Sentry -----------------------------------------------------------------------------------


class FakeSentry:
    """A local HTTP server that keeps what Sentry clients send to ``/api/<project>/envelope/``."""

    def __init__(self):
        self.envelopes: list[bytes] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                elif self.headers.get("Content-Encoding") == "br":
                    import brotli

                    body = brotli.decompress(body)
                if re.fullmatch(r"/api/\d+/envelope/", self.path):
                    sink.envelopes.append(body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.dsn = f"http://public@127.0.0.1:{self.server.server_address[1]}/1"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[dict]:
        events = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    events.append(json.loads(payload))
        return events


SENTRY_SCRIPT = """
import django, sentry_sdk
from unittest import mock
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
with mock.patch("mini_twitter.health.check_database", side_effect=RuntimeError("boom from the sentry test")):
    response = Client(raise_request_exception=False).get(
        "/readyz", HTTP_X_REQUEST_ID="sentry-req-1", HTTP_AUTHORIZATION="Bearer secret-access-token"
    )
sentry_sdk.flush(timeout=10)
print(response.status_code, sentry_sdk.get_client().is_active())
"""


def run_django_script(script: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="mini_twitter.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        REDIS_URL="",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_sentry_reports_a_server_error_when_a_dsn_is_set_without_personal_data(tmp_path):
    with FakeSentry() as sentry:
        result = run_django_script(SENTRY_SCRIPT, tmp_path, SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="test")
        assert result.returncode == 0, result.stderr
        assert result.stdout.split() == ["500", "True"]
        wait_for(lambda: sentry.events(), timeout=10)
    [event] = [e for e in sentry.events() if e.get("exception")]
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "boom from the sentry test")
    assert event["environment"] == "test"
    assert event["tags"]["request_id"] == "sentry-req-1"
    assert event["transaction"] == "/readyz"
    assert not event.get("request", {}).get("data")  # no request bodies
    raw = b"".join(sentry.envelopes)
    assert b"secret-access-token" not in raw  # no credentials, cookies, client address or user
    assert "ip_address" not in event.get("user", {})


def test_without_a_dsn_sentry_is_off_and_sends_nothing(tmp_path):
    with FakeSentry() as sentry:
        result = run_django_script(SENTRY_SCRIPT, tmp_path, SENTRY_DSN="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["500", "False"]
    assert sentry.envelopes == []


# --- Several web processes ----------------------------------------------------------------------


def get(url: str, headers: dict | None = None):
    """``(status, headers (case-insensitive), body)``."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_web_server_with_two_workers_logs_json_and_metrics_add_up_all_processes(tmp_path):
    """The compose web server: gunicorn, two processes, multiprocess metrics, JSON logs."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    env.update(
        DJANGO_SETTINGS_MODULE="mini_twitter.settings.production",
        SECRET_KEY="web-server-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="",
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_FORMAT="json",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    log_path = tmp_path / "web.log"
    with running_server("production", env, log_path) as server:
        wait_for(lambda: len({name.rsplit("_", 1)[-1] for name in os.listdir(metrics_dir)}) >= 2, timeout=30)
        for i in range(20):
            status, headers, _ = get(f"{server.base}/healthz", {"X-Request-ID": f"web-{i}"})
            assert status == 200 and headers["X-Request-ID"] == f"web-{i}"
        status, _, text = get(f"{server.base}/metrics")
        assert status == 200
        samples = Samples(text)
        # Every healthz answer, whichever process gave it (the first was the readiness probe's).
        answered = samples.value(
            "django_http_responses_total_by_status_view_method_total", view="healthz", status="200"
        )
        assert answered >= 21
        # Behind nginx the client address comes from X-Forwarded-For: a public client is refused.
        assert get(f"{server.base}/metrics", {"X-Forwarded-For": "203.0.113.7"})[0] == 403
        wait_for(lambda: "web-19" in server.log_text(), timeout=10)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    [line] = [line for line in lines if line.get("request_id") == "web-7"]
    assert (line["logger"], line["method"], line["path"], line["status"], line["user_id"]) == (
        "mini_twitter.access",
        "GET",
        "/healthz",
        200,
        None,
    )


# --- A live worker --------------------------------------------------------------------------------


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_prefork_worker_serves_its_task_metrics_and_logs_with_the_request_id(live_services, client_for, tmp_path):
    """As in compose: tasks run in a prefork child, the main process serves every process's metrics
    (multiprocess mode) on the worker metrics port, and the task's log lines carry the request id
    of the API call that sent it."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    port = free_port()
    env = {
        "WORKER_METRICS_PORT": str(port),
        "WORKER_METRICS_ADDRESS": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "LOG_FORMAT": "json",
    }
    task = "notifications.notify_post"
    with live_services.celery_worker(extra_env=env, pool="prefork") as worker:
        response = client_for(bob).post(
            "/api/posts/", {"content": "hello @alice"}, format="json", HTTP_X_REQUEST_ID="live-req-1"
        )
        assert response.status_code == 201
        wait_for(lambda: Notification.objects.filter(recipient=alice, type="mention").exists(), timeout=30)

        def scraped() -> Samples | None:
            status, _, text = get(f"http://127.0.0.1:{port}/metrics")
            samples = Samples(text) if status == 200 else None
            return samples if samples and samples.value("mini_twitter_celery_tasks_total", task=task) else None

        samples = wait_for(scraped, timeout=15)
        log = worker.log_text()
    assert samples.value("mini_twitter_celery_tasks_total", task=task, state="success") == 1
    assert samples.value("mini_twitter_celery_task_duration_seconds_count", task=task) == 1
    assert samples.value("mini_twitter_notifications_created_total", type="mention") == 1
    assert samples.value("django_db_execute_total") > 0  # the worker's own queries
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [succeeded] = [line for line in lines if re.match(rf"Task {task}\[\S+\] succeeded", line["message"])]
    assert succeeded["request_id"] == "live-req-1"
