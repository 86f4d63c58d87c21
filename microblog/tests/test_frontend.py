"""Serving a built front end at the site root without shadowing the API and other paths."""

import pytest

pytestmark = pytest.mark.django_db

INDEX = b"<!doctype html><html><body><div id=app></div><script src=/js/app.js></script></body></html>"


@pytest.fixture
def frontend(tmp_path, settings):
    root = tmp_path / "frontend"
    (root / "js").mkdir(parents=True)
    (root / "css").mkdir()
    (root / "index.html").write_bytes(INDEX)
    (root / "js" / "app.js").write_text("console.log('app')")
    (root / "css" / "app.css").write_text("body{}")
    (root / "favicon.ico").write_bytes(b"\x00\x00\x01\x00")
    settings.MICROBLOG_FRONTEND_DIR = str(root)
    return root


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("path", ["/", "/login", "/profile/3", "/some/deep/route"])
def test_index_for_the_root_and_client_side_routes(api_client, frontend, path):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert body(response) == INDEX


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/js/app.js", "text/javascript"), ("/css/app.css", "text/css"), ("/favicon.ico", "image/vnd.microsoft.icon")],
)
def test_assets_are_served(api_client, frontend, path, content_type):
    response = api_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert body(response) == (frontend / path.lstrip("/")).read_bytes()


def test_missing_asset_is_404_not_the_app(api_client, frontend):
    assert api_client.get("/js/missing.js").status_code == 404


def test_path_traversal_is_refused(api_client, frontend, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")
    response = api_client.get("/../secret.txt")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert body(response) == INDEX


def test_api_admin_docs_media_and_health_are_not_shadowed(api_client, frontend, user):
    assert api_client.get("/api/users/").json()["results"][0]["id"] == user.id
    assert api_client.get("/api/unknown/").json() == {"detail": "Not found."}
    assert api_client.get("/api/tweets").json()["result"] is False
    assert api_client.get("/healthz").json() == {"status": "ok"}
    assert api_client.get("/swagger.json").status_code == 200
    assert api_client.get("/admin/login/").status_code == 200
    assert api_client.get("/media/nothing.png").status_code == 404


@pytest.mark.parametrize("path", ["/admin", "/api", "/swagger", "/redoc", "/metrics/x", "/ws/events"])
def test_back_end_paths_without_their_slash_are_not_the_app(api_client, frontend, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_writes_to_frontend_paths_are_a_json_405(api_client, frontend, method):
    response = getattr(api_client, method)("/login")
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}
    assert response["Allow"] == "GET, HEAD"


def test_without_a_frontend_the_root_is_a_json_404(api_client, settings):
    settings.MICROBLOG_FRONTEND_DIR = ""
    for path in ("/", "/login", "/profile/1"):
        response = api_client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
