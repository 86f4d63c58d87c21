"""Request bodies sent chunked (``Transfer-Encoding: chunked``, no ``Content-Length``): read in full
when they fit, refused with 413 as soon as they grow past the limit, through the real servers
(gunicorn for WSGI and uvicorn for ASGI, as docker-compose.yml's ``web`` and ``stream`` run them)
and through the wrappers in process."""

import asyncio
import io
import json
import socket
import threading

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework_simplejwt.tokens import AccessToken

from posts.models import Post

SMALL_UPLOAD_LIMIT = 1024 * 1024  # the servers' MEDIA_MAX_UPLOAD_BYTES: a body limit of 1 MB + 64 KB
ORIGIN = "https://app.example"
TOO_LARGE = {"detail": "The request body is too large."}


def chunked(data: bytes, size: int = 64 * 1024) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    if headers.get("transfer-encoding") == "chunked":
        decoded = b""
        while True:
            size_line, _, body = body.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            decoded, body = decoded + body[:size], body[size + 2 :]
        body = decoded
    return int(status_line.split()[1]), headers, body


def read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (a reset after the answer counts
    as closing), and whether it closed within the socket's timeout."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    except TimeoutError:
        return data, False
    return data, True


@pytest.fixture(params=["production", "stream"])
def server(request, live_services, tmp_path):
    """A real server (the production HTTP server, gunicorn, or the stream server, uvicorn) on a free
    loopback port, on the test database, with a 1 MB upload limit and its own temp folder."""
    temp_dir = tmp_path / "server-tmp"
    temp_dir.mkdir()
    env = {
        "CONN_MAX_AGE": "0",
        "MEDIA_MAX_UPLOAD_BYTES": str(SMALL_UPLOAD_LIMIT),
        "CORS_ALLOWED_ORIGINS": ORIGIN,
        "TMPDIR": str(temp_dir),
    }
    with live_services.web_server(kind=request.param, extra_env=env) as server:
        base = server.base
        yield {"port": int(base.rsplit(":", 1)[1]), "temp_dir": temp_dir}


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_post_sent_chunked_is_created_by_the_real_servers(server, user):
    body = json.dumps({"content": "sent in chunks " + "x" * 200}).encode()
    headers = {"Authorization": f"Bearer {AccessToken.for_user(user)}", "Content-Type": "application/json"}
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=20) as sock:
        sock.sendall(request_head("/api/posts/", headers) + chunked(body, size=50))
        raw, _ = read_until_closed(sock)
    status, _, content = parse_response(raw)
    assert status == 201, content
    assert json.loads(content)["content"] == "sent in chunks " + "x" * 200
    assert Post.objects.filter(author=user, content__startswith="sent in chunks").count() == 1


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_past_the_limit_is_413_before_it_is_all_read(server):
    limit = SMALL_UPLOAD_LIMIT + 64 * 1024
    total = limit + 3 * 1024 * 1024
    sock = socket.create_connection(("127.0.0.1", server["port"]), timeout=20)
    sock.sendall(request_head("/api/nowhere/", {"Content-Type": "application/json", "Origin": ORIGIN}))

    def send_body():
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
        try:
            for _ in range(total // (64 * 1024)):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: expected once it has answered

    sender = threading.Thread(target=send_body)
    sender.start()
    try:
        raw, closed = read_until_closed(sock)
    finally:
        sender.join(timeout=30)
        sock.close()
    status, headers, content = parse_response(raw)
    assert status == 413
    assert json.loads(content) == TOO_LARGE
    assert headers["access-control-allow-origin"] == ORIGIN
    assert closed  # the server hung up instead of reading the rest
    large = [p.name for p in server["temp_dir"].rglob("*") if p.is_file() and p.stat().st_size > 64 * 1024]
    assert large == []


# --- In process: the same wrappers, without a server ----------------------------------------


@pytest.fixture
def wsgi_app():
    from mini_twitter.wsgi import application

    # As Django's test client does: the request must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call_wsgi(app, path: str, stream, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """A request as gunicorn hands a chunked one over: decoded input, no CONTENT_LENGTH."""
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": stream,
        "wsgi.input_terminated": True,
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()},
    }
    started = {}

    def start_response(status, response_headers, exc_info=None):
        started["status"], started["headers"] = int(status.split()[0]), dict(response_headers)

    response = app(environ, start_response)
    content = b"".join(response)
    response.close()
    return started["status"], started["headers"], content


@pytest.mark.django_db
def test_wsgi_reads_a_chunked_post(wsgi_app, user):
    body = io.BytesIO(json.dumps({"content": "chunked through WSGI"}).encode())
    token = f"Bearer {AccessToken.for_user(user)}"
    status, _, content = call_wsgi(wsgi_app, "/api/posts/", body, {"Authorization": token})
    assert status == 201, content
    assert Post.objects.filter(author=user, content="chunked through WSGI").exists()


@pytest.mark.django_db
def test_wsgi_stops_reading_a_chunked_body_past_the_limit(wsgi_app, settings):
    stream = io.BytesIO(b"x" * (settings.MAX_REQUEST_BODY_BYTES + 5 * 1024 * 1024))
    status, _, content = call_wsgi(wsgi_app, "/api/medias", stream, {"api-key": "whatever"})
    assert status == 413
    assert json.loads(content) == {
        "result": False,
        "error_type": "PayloadTooLarge",
        "error_message": TOO_LARGE["detail"],
    }
    assert stream.tell() == settings.MAX_REQUEST_BODY_BYTES + 1


def call_asgi(path: str, chunks, headers: dict[str, str]) -> tuple[int, dict, bytes, int]:
    """The ASGI application fed a chunked body message by message; also how many it took."""
    from mini_twitter.asgi import application

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    chunks = list(chunks)
    taken = 0
    sent = []

    async def receive():
        nonlocal taken
        if taken < len(chunks):
            taken += 1
            return {"type": "http.request", "body": chunks[taken - 1], "more_body": taken < len(chunks)}
        await asyncio.sleep(3600)  # the client stays connected

    async def send(message):
        sent.append(message)

    asyncio.run(asyncio.wait_for(application(scope, receive, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {n.decode(): v.decode() for n, v in start["headers"]}, body, taken


def test_asgi_reads_a_chunked_body():
    body = json.dumps({"username": "someone"}).encode()
    chunks = [body[:5], body[5:], b""]
    status, _, content, _ = call_asgi("/api/users/token/", chunks, {"content-type": "application/json"})
    # The body was read: only the field it lacks is missing.
    assert status == 400
    assert json.loads(content) == {"password": ["This field is required."]}


def test_asgi_stops_reading_a_chunked_body_past_the_limit(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    chunk = b"x" * (64 * 1024)
    count = settings.MAX_REQUEST_BODY_BYTES // len(chunk) + 80  # 5 MB more than the limit
    headers = {"content-type": "image/png", "api-key": "whatever", "origin": ORIGIN}
    status, response_headers, content, taken = call_asgi("/api/medias", [chunk] * count, headers)
    assert status == 413
    assert json.loads(content) == {
        "result": False,
        "error_type": "PayloadTooLarge",
        "error_message": TOO_LARGE["detail"],
    }
    assert response_headers["access-control-allow-origin"] == ORIGIN
    assert response_headers["connection"] == "close"
    assert taken == settings.MAX_REQUEST_BODY_BYTES // len(chunk) + 1  # not one message more


def test_asgi_refuses_a_body_announced_too_large_without_reading_it(settings):
    too_big = str(settings.MAX_REQUEST_BODY_BYTES + 1)
    status, _, content, taken = call_asgi("/api/posts/", [b"x"], {"content-length": too_big})
    assert (status, json.loads(content), taken) == (413, TOO_LARGE, 0)
