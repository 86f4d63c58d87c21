"""A real ASGI server (daphne, the one `make run` uses) with real WebSocket clients, on PostgreSQL and
the Redis channel layer."""

import json
import time
import urllib.request
from contextlib import contextmanager

import pytest
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server(live_services):
    with live_services.web_server(kind="daphne", extra_env={"CONN_MAX_AGE": "0"}) as base:
        yield base.removeprefix("http://")


def token(user) -> str:
    return str(AccessToken.for_user(user))


def api(base: str, user, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://{base}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token(user)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"null")


@contextmanager
def socket_for(base: str, user):
    with connect(f"ws://{base}/ws/events/", origin=f"http://{base}", open_timeout=5) as ws:
        ws.send(json.dumps({"type": "auth", "token": token(user)}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "auth_ok", "data": {"user_id": user.id}}
        assert json.loads(ws.recv(timeout=5))["type"] == "unread_count"
        yield ws


def next_of_type(ws, type_: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if frame["type"] == type_:
            return frame


def test_a_like_reaches_the_authors_sockets_within_a_second(server):
    author, fan = UserFactory(), UserFactory()
    post = PostFactory(author=author)
    with socket_for(server, author) as phone, socket_for(server, author) as laptop, socket_for(server, fan) as other:
        api(server, fan, "POST", f"/api/posts/{post.id}/like/")
        for ws in (phone, laptop):
            frame = next_of_type(ws, "notification", timeout=1.0)  # the delivery deadline
            assert frame["data"]["type"] == "like" and frame["data"]["actor"]["id"] == fan.id
        with pytest.raises(TimeoutError):
            next_of_type(other, "notification", timeout=0.3)


def test_a_bad_token_is_closed_with_4001(server):
    with connect(f"ws://{server}/ws/events/", origin=f"http://{server}") as ws:
        ws.send(json.dumps({"type": "auth", "token": "not-a-jwt"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd.code == 4001


def test_a_message_reaches_the_other_participants_socket_within_a_second(server):
    me, friend = UserFactory(), UserFactory()
    conversation = api(server, friend, "POST", "/api/messages/", {"participant_ids": [me.id]})
    with socket_for(server, me) as ws:
        message = api(server, friend, "POST", f"/api/messages/{conversation['id']}/send_message/", {"content": "hi"})
        frame = next_of_type(ws, "message", timeout=1.0)  # the delivery deadline
        assert frame["data"]["id"] == message["id"] and frame["data"]["content"] == "hi"
