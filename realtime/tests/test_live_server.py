"""Real ASGI servers (daphne, the one `make run` uses, and uvicorn, the one production runs) with
real WebSocket clients, on PostgreSQL and the Redis channel layer."""

import json
import time
import urllib.request
from contextlib import contextmanager

import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from posts.tests.factories import PostFactory
from rooms.models import Room
from tests.support import wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.live]


@pytest.fixture
def server(live_services):
    """daphne, the server of ``make run``."""
    with live_services.web_server(kind="daphne") as running:
        yield running.base.removeprefix("http://")


@pytest.fixture
def uvicorn_server(live_services):
    """uvicorn as production runs it, in one process (the presence timers of its sockets live in
    it), with a one-second presence grace period; yields the running server."""
    with live_services.web_server(kind="uvicorn", extra_env={"ROOM_PRESENCE_GRACE_SECONDS": "1"}) as running:
        yield running


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


@contextmanager
def room_socket_for(base: str, user, room_id: int):
    with connect(f"ws://{base}/ws/rooms/{room_id}/", origin=f"http://{base}", open_timeout=5) as ws:
        ws.send(json.dumps({"type": "auth", "token": token(user)}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "auth_ok", "data": {"user_id": user.id}}
        yield ws


def stays_open_and_quiet(ws, seconds: float) -> None:
    try:
        frame = ws.recv(timeout=seconds)
    except TimeoutError:
        return
    except ConnectionClosed as closed:
        pytest.fail(f"the server closed the socket: {closed!r}")
    pytest.fail(f"unexpected frame: {frame}")


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


# Longer than every timeout on the path of an idle socket: the Redis client's socket timeout and the
# channel layer's blocking read (5 s in channels_redis), the auth deadline (10 s), uvicorn's
# WebSocket ping interval and timeout (20 s each).
IDLE_SECONDS = 30


@pytest.mark.slow
def test_idle_sockets_stay_open_get_events_and_close_through_their_disconnect_handler(uvicorn_server):
    address = uvicorn_server.base.removeprefix("http://")
    layer_timeout = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0].get("socket_timeout", 5) or 0
    assert max(layer_timeout, settings.WEBSOCKET_AUTH_TIMEOUT, 20) < IDLE_SECONDS
    host, fan = UserFactory(), UserFactory()
    post = PostFactory(author=host)
    room = api(address, host, "POST", "/api/rooms/", {"title": "idle"})
    with socket_for(address, host) as events, room_socket_for(address, host, room["id"]) as in_room:
        stays_open_and_quiet(events, IDLE_SECONDS)
        stays_open_and_quiet(in_room, 0.1)
        api(address, fan, "POST", f"/api/posts/{post.id}/like/")
        assert next_of_type(events, "notification", timeout=1.0)["data"]["actor"]["id"] == fan.id
        api(address, fan, "POST", f"/api/rooms/{room['id']}/join/")
        assert next_of_type(in_room, "joined", timeout=1.0)["data"]["user"]["id"] == fan.id
    # Closed by the client, the host's room socket went through its disconnect handler: the grace
    # period started, and the host who is not back by its end has left, which ends the room.
    wait_for(lambda: Room.objects.get(pk=room["id"]).status == Room.Status.ENDED, timeout=10)
    assert "Traceback" not in uvicorn_server.log_text()
