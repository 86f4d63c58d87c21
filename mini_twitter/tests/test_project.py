"""Health checks, API docs, throttling, error bodies and production settings."""

import json
import os
import subprocess
import sys
from unittest import mock

import pytest
from django.conf import settings

from mini_twitter.api.throttles import scaled_rate

pytestmark = pytest.mark.django_db


def test_healthz(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"] == ("ok" if settings.REDIS_URL else "not configured")


def test_readyz_is_503_when_the_database_is_down(api_client):
    with mock.patch("mini_twitter.health.connection.cursor", side_effect=Exception("down")):
        response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


def test_readyz_is_503_when_redis_is_down(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHE_REDIS_URLS = settings.CHANNEL_REDIS_URLS = [settings.REDIS_URL]
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "unavailable"}}


def test_swagger_ui_and_redoc_are_served(api_client):
    assert api_client.get("/swagger/").status_code == 200
    assert api_client.get("/redoc/").status_code == 200


def test_swagger_json_documents_every_users_endpoint_with_bearer_auth(api_client):
    response = api_client.get("/swagger.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["securityDefinitions"]["Bearer"] == {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "JWT access token, entered as `Bearer <token>`.",
    }
    base = schema["basePath"]
    paths = {base.rstrip("/") + path: ops for path, ops in schema["paths"].items()}
    expected = {
        "/api/users/": {"get", "post"},
        "/api/users/token/": {"post"},
        "/api/users/token/refresh/": {"post"},
        "/api/users/logout/": {"post"},
        "/api/users/password_reset/": {"post"},
        "/api/users/password_reset/confirm/": {"post"},
        "/api/users/me/": {"get"},
        "/api/users/{id}/": {"get"},
        "/api/users/{id}/follow/": {"post"},
        "/api/users/{id}/unfollow/": {"post"},
        "/api/users/{id}/followers/": {"get"},
        "/api/users/{id}/following/": {"get"},
        "/api/users/profiles/": {"get"},
        "/api/users/profiles/{id}/": {"get"},
        "/api/users/profiles/my_profile/": {"get"},
        "/api/users/profiles/update_my_profile/": {"put", "patch"},
        "/api/posts/": {"get", "post"},
        "/api/posts/{id}/": {"get", "put", "patch", "delete"},
        "/api/posts/{id}/like/": {"post"},
        "/api/posts/{id}/unlike/": {"post"},
        "/api/posts/{id}/retweet/": {"post"},
        "/api/posts/{id}/unretweet/": {"post"},
        "/api/posts/{id}/replies/": {"get"},
        "/api/posts/feed/": {"get"},
        "/api/posts/trending_hashtags/": {"get"},
        "/api/hashtags/{name}/posts/": {"get"},
        "/api/search/": {"get"},
        "/api/notifications/": {"get"},
        "/api/notifications/unread_count/": {"get"},
        "/api/notifications/{id}/mark_as_read/": {"post"},
        "/api/notifications/mark_all_as_read/": {"post"},
        "/api/messages/": {"get", "post"},
        "/api/messages/{id}/": {"get"},
        "/api/messages/{id}/messages/": {"get"},
        "/api/messages/{id}/send_message/": {"post"},
        "/api/messages/{id}/leave/": {"post"},
        "/api/messages/unread_count/": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    # Real schemas, not empty objects.
    me = paths["/api/users/me/"]["get"]["responses"]["200"]["schema"]["$ref"].split("/")[-1]
    assert "email" in schema["definitions"][me]["properties"]
    listing = paths["/api/users/"]["get"]["responses"]["200"]["schema"]
    assert set(listing["properties"]) == {"next", "previous", "results"}
    feed = paths["/api/posts/feed/"]["get"]["responses"]["200"]["schema"]["$ref"].split("/")[-1]
    item = schema["definitions"][feed]["properties"]["results"]["items"]["$ref"].split("/")[-1]
    assert {"retweeted_by", "feed_id", "is_liked", "hashtags"} <= set(schema["definitions"][item]["properties"])
    post_list = paths["/api/posts/"]["get"]
    assert {"author", "hashtag", "search", "cursor", "page_size"} <= {p["name"] for p in post_list["parameters"]}
    assert paths["/api/users/token/"]["post"]["security"] == []
    assert "security" not in paths["/api/users/me/"]["get"]


def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_method_not_allowed_is_405(auth_client):
    response = auth_client.delete("/api/users/me/")
    assert response.status_code == 405
    assert "detail" in response.json()


def test_unsupported_media_type_is_415(api_client):
    response = api_client.post("/api/users/", "<xml/>", content_type="application/xml")
    assert response.status_code == 415


def test_oversized_json_body_is_413(api_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = api_client.post("/api/users/", {"username": "x" * 200}, format="json")
    assert response.status_code == 413


def test_login_is_throttled_with_retry_after(api_client, settings):
    settings.THROTTLE_RATE_ANON = "20/min"  # sensitive endpoints get a tenth: 2 per minute
    for _ in range(2):
        assert api_client.post("/api/users/token/", {"username": "a", "password": "b"}).status_code == 401
    response = api_client.post("/api/users/token/", {"username": "a", "password": "b"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "detail" in response.json()


def test_anonymous_reads_are_throttled(api_client, settings):
    settings.THROTTLE_RATE_ANON = "3/min"
    statuses = [api_client.get("/api/users/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_anonymous_reads_get_the_anonymous_rate_even_when_the_user_rate_is_lower(api_client, settings):
    settings.THROTTLE_RATE_ANON = "4/min"
    settings.THROTTLE_RATE_USER = "2/min"
    statuses = [api_client.get("/api/users/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_authenticated_requests_use_the_user_rate(auth_client, settings):
    settings.THROTTLE_RATE_USER = "2/min"
    statuses = [auth_client.get("/api/users/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_scaled_rate():
    assert scaled_rate("120/min", 10) == "12/min"
    assert scaled_rate("5/hour", 10) == "1/hour"


PRODUCTION = "mini_twitter.settings.production"


def _run_check_deploy(extra_env: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": PRODUCTION, **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _run_check_deploy(
        {
            "SECRET_KEY": "x7!k2$production-like-secret-key-with-enough-entropy-0123456789abcdef",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "mini-twitter.example.com",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_leave_the_scheme_to_the_server_and_its_trusted_proxy():
    """Django reading X-Forwarded-Proto itself would believe any client that reaches the server
    directly; the server believes it only from the proxy it trusts."""
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": PRODUCTION,
            "SECRET_KEY": "x" * 50,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "mini-twitter.example.com",
        }
    )
    code = "from django.conf import settings; print(repr(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "None"


def test_only_the_test_settings_differ_under_pytest():
    """Nothing detects a test run: the production settings loaded in a process that imported pytest
    hash passwords and redirect to HTTPS as anywhere else."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECURE_SSL_REDIRECT"}}
    env.update({"DJANGO_SETTINGS_MODULE": PRODUCTION, "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "example.com"})
    code = (
        "import pytest, django; django.setup(); from django.conf import settings; "
        "print(settings.PASSWORD_HASHERS[0], settings.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.contrib.auth.hashers.Argon2PasswordHasher", "True"]
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_production_refuses_to_start_without_secret_key():
    result = _run_check_deploy({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_swagger_documents_the_microblog_api_with_the_api_key_scheme(api_client):
    schema = json.loads(api_client.get("/swagger.json").content)
    assert schema["securityDefinitions"]["ApiKey"]["name"] == "api-key"
    assert schema["security"] == [{"Bearer": []}]
    paths = {schema["basePath"].rstrip("/") + path: ops for path, ops in schema["paths"].items()}
    expected = {
        "/api/tweets": {"get", "post"},
        "/api/tweets/{tweet_id}": {"delete"},
        "/api/tweets/{tweet_id}/likes": {"post", "delete"},
        "/api/medias": {"post"},
        "/api/users/me": {"get"},
        "/api/users/{user_id}": {"get"},
        "/api/users/{user_id}/follow": {"post", "delete"},
        "/api/users/api_keys/": {"get", "post"},
        "/api/users/api_keys/{id}/": {"delete"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        operations = {m: op for m, op in paths[path].items() if m != "parameters"}
        assert methods <= set(operations), path
        if not path.startswith("/api/users/api_keys/"):
            for operation in operations.values():
                assert operation["security"] == [{"ApiKey": []}], path
                assert operation["tags"] == ["microblog (api-key)"]
                assert "401" in operation["responses"]


def test_swagger_documents_the_rooms_api(api_client):
    schema = json.loads(api_client.get("/swagger.json").content)
    paths = {schema["basePath"].rstrip("/") + path: ops for path, ops in schema["paths"].items()}
    expected = {
        "/api/rooms/": {"get", "post"},
        "/api/rooms/{id}/": {"get"},
        "/api/rooms/{id}/join/": {"post"},
        "/api/rooms/{id}/leave/": {"post"},
        "/api/rooms/{id}/end/": {"post"},
        "/api/rooms/{id}/raise_hand/": {"post"},
        "/api/rooms/{id}/speakers/{user_id}/": {"post", "delete"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    join = paths["/api/rooms/{id}/join/"]["post"]["responses"]["200"]["schema"]["$ref"].split("/")[-1]
    assert "ice_servers" in schema["definitions"][join]["properties"]


@pytest.mark.parametrize("module", ["mini_twitter.wsgi", "mini_twitter.asgi"])
def test_servers_refuse_to_start_without_secret_key_but_management_commands_run(module):
    """The servers run on the production settings unless told otherwise."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    server = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert server.returncode != 0 and "SECRET_KEY must be set" in server.stderr
    command = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": PRODUCTION},
        capture_output=True,
        text=True,
    )
    assert command.returncode == 0, command.stderr


def test_readyz_leaves_out_engines_that_are_just_redis_url(api_client):
    checks = api_client.get("/readyz").json()["checks"]
    assert set(checks) == {"database", "redis"}


def test_readyz_reports_scaled_out_engines_and_is_degraded_without_one(api_client, settings):
    """Timelines, cache shards, channel layer and broker configured apart from REDIS_URL are
    reported; one of them down leaves the process ready (200), degraded."""
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    live, dead = "redis://127.0.0.1:6379/14", "redis://127.0.0.1:1/0"
    settings.CACHE_REDIS_URLS = [live, dead]
    settings.CHANNEL_REDIS_URLS = [live]
    settings.TIMELINES_REDIS_URL, settings.FEED_BACKEND = dead, "redis"
    settings.CELERY_BROKER_KIND, settings.CELERY_TASK_ALWAYS_EAGER = "amqp", False
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    with mock.patch(
        "mini_twitter.health._ping_redis", side_effect=lambda url, name="redis": "ok" if url != dead else "unavailable"
    ):
        response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "redis": "ok",
            "timelines": "unavailable",
            "cache": "unavailable",
            "channels": "ok",
            "broker": "unavailable",
        },
    }


def test_readyz_is_ok_when_every_scaled_out_engine_answers(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.CACHE_REDIS_URLS = ["redis://127.0.0.1:6379/14", "redis://127.0.0.1:6379/13"]
    settings.CHANNEL_REDIS_URLS = [settings.REDIS_URL]
    with mock.patch("mini_twitter.health._ping_redis", return_value="ok"):
        response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "cache": "ok"}}


def test_readyz_pings_each_node_a_timelines_cluster_url_names(api_client, settings):
    settings.TIMELINES_REDIS_URL, settings.FEED_BACKEND = "rediss+cluster://:pw@a:7001,b:7002", "redis"
    settings.CACHE_REDIS_URLS = settings.CHANNEL_REDIS_URLS = [settings.REDIS_URL]
    pinged = []
    with mock.patch(
        "mini_twitter.health._ping_redis", side_effect=lambda url, name="redis": pinged.append(url) or "ok"
    ):
        response = api_client.get("/readyz")
    assert response.json()["checks"]["timelines"] == "ok"
    assert pinged[-2:] == ["rediss://:pw@a:7001", "rediss://:pw@b:7002"]
