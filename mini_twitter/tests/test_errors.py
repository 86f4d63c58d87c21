"""Errors outside DRF's views are JSON too, whatever DEBUG says: unknown paths, wrong methods on
plain views, CSRF failures and the request limits; the microblog front end gets its envelope."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ENVELOPE_404 = {"result": False, "error_type": "NotFound", "error_message": "Not found."}


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path", ["/api/unknown/", "/api/users/abc/", "/api/posts", "/api/users/token", "/nothing", "/login"]
)
def test_unknown_paths_are_a_json_404(api_client, debug, path):
    for method in ("get", "post", "delete"):
        response = getattr(api_client, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/api/tweets/", "/api/tweets/abc", "/api/medias/", "/api/tweets/1/likes/"])
def test_microblog_paths_that_do_not_exist_get_the_envelope(api_client, debug, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json() == ENVELOPE_404


def test_an_api_key_client_gets_the_envelope_anywhere(api_client, debug):
    response = api_client.get("/api/users/abc", headers={"api-key": "test"})
    assert response.status_code == 404
    assert response.json() == ENVELOPE_404


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/media/some.png"])
def test_writes_to_plain_views_are_a_json_405(api_client, debug, path):
    response = api_client.post(path)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET, HEAD"


def test_a_csrf_failure_is_a_json_403(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF verification failed")


BAD_REQUEST = {"detail": "Bad request."}


@pytest.mark.parametrize(
    "path", ["/media/..%2f..%2fetc%2fpasswd", "/media/../../etc/passwd", "/media/%2e%2e/%2e%2e/etc/passwd"]
)
def test_a_suspicious_path_is_a_json_400(api_client, debug, path):
    response = api_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == BAD_REQUEST


def test_a_disallowed_host_is_a_json_400(api_client, debug):
    for path in ("/api/posts/", "/admin/login/", "/nothing"):
        response = api_client.get(path, HTTP_HOST="evil.example")
        assert response.status_code == 400, path
        assert response.json() == BAD_REQUEST


def test_a_disallowed_host_on_a_microblog_path_gets_the_envelope(api_client, debug):
    response = api_client.get("/api/tweets", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"result": False, "error_type": "BadRequest", "error_message": "Bad request."}


def test_too_many_form_fields_are_a_json_400(debug, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = Client().post("/admin/login/", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    assert response.json() == BAD_REQUEST


def test_a_permission_denied_outside_the_api_is_a_json_403(debug, user):
    user.is_staff = True  # staff, but with no permission on any model
    user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(user)
    response = client.get("/admin/users/user/")
    assert response.status_code == 403
    assert response.json() == {"detail": "Permission denied."}


def test_an_oversized_body_is_413_in_each_apis_shape(api_client, settings):
    too_big = str(settings.MAX_REQUEST_BODY_BYTES + 1)
    response = api_client.post("/api/media/", data=b"x", content_type="image/png", CONTENT_LENGTH=too_big)
    assert response.status_code == 413 and response.json() == {"detail": "The request body is too large."}
    response = api_client.post(
        "/api/medias", data=b"x", content_type="image/png", CONTENT_LENGTH=too_big, headers={"api-key": "test"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "result": False,
        "error_type": "PayloadTooLarge",
        "error_message": "The request body is too large.",
    }


def test_a_refusal_by_the_size_limits_carries_cors_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    too_big = str(settings.MAX_REQUEST_BODY_BYTES + 1)
    response = api_client.post(
        "/api/medias", data=b"x", content_type="image/png", CONTENT_LENGTH=too_big, HTTP_ORIGIN="https://app.example"
    )
    assert response.status_code == 413
    assert response["Access-Control-Allow-Origin"] == "https://app.example"


def test_an_empty_list_variable_means_its_default(monkeypatch):
    from mini_twitter.settings.base import env_list

    monkeypatch.setenv("MINI_TWITTER_EXAMPLE_LIST", "")
    assert env_list("MINI_TWITTER_EXAMPLE_LIST", "a, b") == ["a", "b"]
    monkeypatch.setenv("MINI_TWITTER_EXAMPLE_LIST", "c,,d")
    assert env_list("MINI_TWITTER_EXAMPLE_LIST", "a") == ["c", "d"]


def test_static_urls_before_collectstatic_fall_back_to_plain_names(tmp_path):
    from mini_twitter.storage import StaticFilesStorage

    storage = StaticFilesStorage(location=str(tmp_path), base_url="/static/")
    assert storage.url("admin/css/base.css") == "/static/admin/css/base.css"
